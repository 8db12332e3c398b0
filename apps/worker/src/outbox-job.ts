import { Injectable } from '@nestjs/common';
import { OutboxRepository, TransactionRunner } from '@tftsr/db';

/** Thrown inside a finishing transaction when another run already finished the same outbox row. */
class AlreadyDone extends Error {}

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
    private readonly tx: TransactionRunner,
    private readonly outbox: OutboxRepository,
  ) {}

  isDone(outboxId: string): boolean {
    const row = this.outbox.get(outboxId);
    return row === undefined || row.state === 'done' || row.state === 'failed';
  }

  /** Runs `effect` and marks the row done in one transaction; returns null if another run got there first. */
  finish<T>(outboxId: string, effect: () => T): T | null {
    try {
      return this.tx.write(() => {
        if (!this.outbox.markDone(outboxId)) throw new AlreadyDone();
        return effect();
      });
    } catch (err) {
      if (err instanceof AlreadyDone) return null;
      throw err;
    }
  }

  fail(outboxId: string, reason: string, effect: () => void): void {
    this.tx.write(() => {
      this.outbox.markFailed(outboxId, reason);
      effect();
    });
  }
}
