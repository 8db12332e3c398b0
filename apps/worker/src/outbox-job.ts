import { Injectable } from '@nestjs/common';
import { Commit, GroupCommit, OutboxRepository } from '@tftsr/db';

/** Thrown inside a finishing transaction when another run already finished the same outbox row. */
class AlreadyDone extends Error {}

function nullIfAlreadyDone(err: unknown): null {
  if (err instanceof AlreadyDone) return null;
  throw err;
}

export interface Skipped {
  skipped: true;
  reason: string;
}

/**
 * The exactly-once edge of an at-least-once queue: a job's effect commits together with its outbox row
 * turning `done`, and a run that finds the row already done commits nothing.
 */
@Injectable()
export class OutboxJobGuard {
  constructor(
    private readonly group: GroupCommit,
    private readonly outbox: OutboxRepository,
  ) {}

  isDone(outboxId: string): boolean {
    const row = this.outbox.get(outboxId);
    return row === undefined || row.state === 'done' || row.state === 'failed';
  }

  /**
   * Runs `effect` and marks the row done in one unit of the worker's group commit: finishes ready together share one
   * transaction and one fsync made off the event loop, and a write lock held by the API is waited for without
   * blocking. Resolves once durable; null if another run got there first.
   */
  finish<T>(outboxId: string, effect: () => T): Promise<T | null> {
    return this.finishIn((work) => this.group.run(work), outboxId, effect);
  }

  /** `finish`, committed by `commit`: a unit announced to the group beforehand (`GroupCommit.announced`). */
  async finishIn<T>(commit: Commit, outboxId: string, effect: () => T): Promise<T | null> {
    try {
      return await commit(this.markingDone(outboxId, effect));
    } catch (err) {
      return nullIfAlreadyDone(err);
    }
  }

  async fail(outboxId: string, reason: string, effect: () => void): Promise<void> {
    await this.group.run(() => {
      this.outbox.markFailed(outboxId, reason);
      effect();
    });
  }

  private markingDone<T>(outboxId: string, effect: () => T): () => T {
    return () => {
      if (!this.outbox.markDone(outboxId)) throw new AlreadyDone();
      return effect();
    };
  }
}
