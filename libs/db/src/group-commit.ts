import { open } from 'node:fs/promises';
import type { Db } from './database';
import { transaction } from './database';
import { isSqliteBusy } from './errors';

interface Pending {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * Callers announced and not yet arrived, for a batch that waits for them: `expect()` counts one in, and the
 * function it returns counts it out once, however often it is called, then calls `onLeave`.
 */
export class Expected {
  count = 0;

  constructor(private readonly onLeave: () => void) {}

  expect(): () => void {
    this.count += 1;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.count -= 1;
      this.onLeave();
    };
  }
}

/** Commits `work` (synchronous statements) and resolves once it is durable: a transaction, or a group commit's. */
export type Commit = <T>(work: () => T) => Promise<T>;

/** What a commit did, for metrics and tests: how many units shared it and how many of them failed alone. */
export interface GroupCommitStats {
  commits: number;
  units: number;
  /** Tries of a group that found the write lock held by another connection, and went back to wait without blocking. */
  lockRetries: number;
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
  private readonly expected = new Expected(() => {
    if (this.waiting.length > 0) this.schedule();
  });
  private flushScheduled = false;
  private timer?: NodeJS.Timeout;
  readonly stats: GroupCommitStats = { commits: 0, units: 0, lockRetries: 0 };

  /** The connection's own `synchronous` level, restored after each group commit made without the fsync. */
  private readonly synchronous: number;
  /** The connection's own busy timeout: the longest a group waits for the write lock before it fails as SQLite would. */
  private readonly busyTimeoutMs: number;
  /** When the next group first found the write lock held by another connection (`process.hrtime.bigint()`). */
  private lockAskedAt?: bigint;

  constructor(
    private readonly db: Db,
    /** The longest a ready unit waits for expected ones; read at each wait, so it can be a live setting. */
    public windowMs: number,
    /**
     * Given (see walSync): the group's transaction commits without its fsync (synchronous = NORMAL, WAL mode),
     * and this makes it durable off the event loop; units resolve only once it has. Absent: the commit fsyncs as
     * the connection is set to (FULL), blocking the event loop meanwhile.
     */
    private readonly durable?: () => Promise<void>,
  ) {
    this.synchronous = db.pragma('synchronous', { simple: true }) as number;
    this.busyTimeoutMs = db.pragma('busy_timeout', { simple: true }) as number;
  }

  /**
   * Announces a unit that will be submitted soon (e.g. a request already admitted). The returned function, called
   * once that unit has been submitted or will never be, ends the wait for it; calling it again does nothing.
   */
  expect(): () => void {
    return this.expected.expect();
  }

  /**
   * Runs `work`, announced (`expect()`) until its first commit through the `commit` it is given, or until it ends:
   * for work that will commit within the window (a small upload, a small file's scan), so that the commits under
   * way wait for it.
   */
  async announced<T>(work: (commit: Commit) => Promise<T>): Promise<T> {
    const arrived = this.expect();
    try {
      return await work((unit) => {
        const committed = this.run(unit);
        arrived();
        return committed;
      });
    } finally {
      arrived();
    }
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
    if (this.expected.count > 0 && this.windowMs > 0) {
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

  /** How long the next group has been waiting for the write lock, in ms. */
  private lockWaitMs(): number {
    return this.lockAskedAt === undefined ? 0 : Number(process.hrtime.bigint() - this.lockAskedAt) / 1e6;
  }

  /** The write lock was held elsewhere: the batch goes back first in line, and the group tries again in 1 ms. */
  private retryLater(batch: Pending[], relaxed: boolean): void {
    if (relaxed) this.db.pragma(`synchronous = ${this.synchronous}`);
    this.lockAskedAt ??= process.hrtime.bigint();
    this.stats.lockRetries += 1;
    this.waiting = batch.concat(this.waiting);
    this.flushScheduled = true;
    setTimeout(() => this.flush(), 1);
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length === 0) return;
    // Closed under queued units (a shutdown's last work, fire-and-forget bookkeeping): each is told, none is lost silently.
    if (!this.db.open) {
      const closed = new Error('the database connection was closed before this write could commit: nothing was written');
      return batch.forEach((unit) => unit.reject(closed));
    }
    const outcomes = new Array<{ ok: true; value: unknown } | { ok: false; error: unknown }>(batch.length);
    // NORMAL only for this transaction: every other write of the connection keeps its own fsync at commit.
    const relaxed = this.durable !== undefined && this.synchronous >= 2;
    if (relaxed) this.db.pragma('synchronous = NORMAL');
    // While another process holds the write lock, SQLite's busy handler would sleep on the event loop: ask without
    // waiting instead, and try again on a later turn, the event loop free meanwhile and more units joining.
    this.db.pragma('busy_timeout = 0');
    let locked = false;
    try {
      // The lock-wait metric counts from the group's first try.
      transaction(
        this.db,
        () => {
          locked = true;
          this.db.pragma(`busy_timeout = ${this.busyTimeoutMs}`);
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
        },
        this.lockAskedAt,
      );
      this.stats.commits += 1;
    } catch (error) {
      if (!locked) this.db.pragma(`busy_timeout = ${this.busyTimeoutMs}`);
      if (locked || !isSqliteBusy(error)) {
        // The transaction failed as a whole, not for the lock: each unit alone, in its own commit.
        batch.forEach((unit, i) => {
          try {
            outcomes[i] = { ok: true, value: transaction(this.db, unit.work) };
            this.stats.commits += 1;
          } catch (error) {
            outcomes[i] = { ok: false, error };
          }
        });
      } else if (this.lockWaitMs() < this.busyTimeoutMs) {
        return this.retryLater(batch, relaxed);
      } else {
        // Waited as long as SQLite's busy handler would have, without blocking: each unit fails as it would have
        // (SQLITE_BUSY, nothing written; the API answers 503 with Retry-After), not retried alone with more waits.
        batch.forEach((_, i) => (outcomes[i] = { ok: false, error }));
      }
    }
    // Committed, or failed for good after waiting as long as SQLite would: the next group starts its own wait.
    this.lockAskedAt = undefined;
    if (relaxed) this.db.pragma(`synchronous = ${this.synchronous}`);
    this.stats.units += batch.length;
    const settle = (failure?: unknown) =>
      batch.forEach((unit, i) => {
        const outcome = outcomes[i];
        if (outcome.ok && failure === undefined) unit.resolve(outcome.value);
        else unit.reject(outcome.ok ? failure : outcome.error);
      });
    if (!relaxed) return settle();
    // Committed and visible, not yet known durable: no unit is answered until the fsync says so. Should it fail, the
    // rows stay (as after a crash past the commit) and the callers answer 5xx.
    (this.durable as () => Promise<void>)().then(
      () => settle(),
      (err: unknown) => settle(err ?? new Error('the group commit could not be made durable')),
    );
  }
}

class GroupAborted extends Error {
  constructor(cause: unknown) {
    super('the group transaction was ended by SQLite', { cause });
  }
}

/**
 * The durability step for a GroupCommit on a WAL-mode connection: an fsync of the `-wal` file on the thread pool.
 * Every frame written before the fsync starts is on disk when it ends (fsync covers the file, whichever
 * descriptor wrote it), which is what synchronous = FULL would have done inside the commit. Frames a checkpoint
 * has already moved were synced by it (checkpoints sync the WAL before and the database after, at NORMAL too).
 * Concurrent callers share fsyncs: one that arrives while an fsync runs joins the next one, which starts after it.
 */
export function walSync(db: Db): () => Promise<void> {
  const path = `${db.name}-wal`;
  let running: Promise<void> | undefined;
  let next: Promise<void> | undefined;
  const start = (): Promise<void> => {
    const current: Promise<void> = fsyncFile(path).finally(() => {
      if (running === current) running = undefined;
    });
    running = current;
    return current;
  };
  return () => {
    if (!running) return start();
    next ??= running
      .catch(() => undefined)
      .then(() => {
        next = undefined;
        return start();
      });
    return next;
  };
}

async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r').catch((err: NodeJS.ErrnoException) => {
    // No WAL file: it is removed only after a checkpoint moved (and synced) every frame into the database.
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (!handle) return;
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A GroupCommit whose fsync runs off the event loop (walSync) when the connection is in WAL mode, as the apps' are. */
export function offLoopGroupCommit(db: Db, windowMs: number): GroupCommit {
  return new GroupCommit(db, windowMs, db.pragma('journal_mode', { simple: true }) === 'wal' ? walSync(db) : undefined);
}
