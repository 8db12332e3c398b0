import type { Db } from './database';
import { transaction } from './database';

interface Pending {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/** What a commit did, for metrics and tests: how many units shared it and how many of them failed alone. */
export interface GroupCommitStats {
  commits: number;
  units: number;
}

/**
 * A group commit: units of database work submitted together share one `BEGIN IMMEDIATE` transaction, so one fsync
 * (synchronous = FULL) covers them all. `run` resolves only after that commit, so a caller that answers 2xx
 * afterwards still answers for durable data.
 *
 * Each unit runs in a savepoint of its own: a unit that throws (bad input, a limit reached) is rolled back and
 * rejected alone, and the others still commit. Should the transaction itself fail (an I/O error, the commit
 * refused), each unit is retried in a transaction of its own, so that one cause cannot fail strangers' requests.
 *
 * How long a commit waits for company: callers that will submit soon announce themselves with `expect()`. A
 * commit goes once every expected unit has been submitted (or has given up), or `windowMs` after the first unit
 * was ready, whichever is first; with nothing expected it goes on the next turn of the event loop, so a lone
 * caller never waits. Units that become ready in the same turn always share a commit.
 */
export class GroupCommit {
  private waiting: Pending[] = [];
  private expected = 0;
  private flushScheduled = false;
  private timer?: NodeJS.Timeout;
  readonly stats: GroupCommitStats = { commits: 0, units: 0 };

  constructor(
    private readonly db: Db,
    /** The longest a ready unit waits for expected ones; read at each wait, so it can be a live setting. */
    public windowMs: number,
  ) {}

  /**
   * Announces a unit that will be submitted soon (e.g. a request already admitted). The returned function, called
   * once that unit has been submitted or will never be, ends the wait for it; calling it again does nothing.
   */
  expect(): () => void {
    this.expected += 1;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.expected -= 1;
      if (this.waiting.length > 0) this.schedule();
    };
  }

  /** Units submitted and not yet committed (for tests and metrics). */
  get queued(): number {
    return this.waiting.length;
  }

  /** Runs `work` (synchronous database statements) inside the next group's transaction; resolves after its commit. */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ work, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.flushScheduled) return;
    if (this.expected > 0 && this.windowMs > 0) {
      this.timer ??= setTimeout(() => this.start(), this.windowMs);
      return;
    }
    this.start();
  }

  /** The commit goes on the next turn, so every unit that becomes ready in this one joins it. */
  private start(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 0) return;
    const outcomes = new Array<{ ok: true; value: unknown } | { ok: false; error: unknown }>(batch.length);
    try {
      transaction(this.db, () => {
        batch.forEach((unit, i) => {
          try {
            // Nested: better-sqlite3 runs it in a savepoint, rolled back alone if it throws.
            outcomes[i] = { ok: true, value: this.db.transaction(unit.work)() };
          } catch (error) {
            // SQLite itself ended the whole transaction (I/O error, disk full): the group must not commit in part.
            if (!this.db.inTransaction) throw new GroupAborted(error);
            outcomes[i] = { ok: false, error };
          }
        });
      });
      this.stats.commits += 1;
    } catch {
      // The transaction failed as a whole: each unit alone, in its own commit.
      batch.forEach((unit, i) => {
        try {
          outcomes[i] = { ok: true, value: transaction(this.db, unit.work) };
          this.stats.commits += 1;
        } catch (error) {
          outcomes[i] = { ok: false, error };
        }
      });
    }
    this.stats.units += batch.length;
    batch.forEach((unit, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) unit.resolve(outcome.value);
      else unit.reject(outcome.error);
    });
  }
}

class GroupAborted extends Error {
  constructor(cause: unknown) {
    super('the group transaction was ended by SQLite', { cause });
  }
}
