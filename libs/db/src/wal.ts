import { statSync } from 'node:fs';
import type { Db } from './database';

/** The size of `{dbPath}-wal` in bytes; 0 when there is none (no connection open, or a clean close). */
export function walSizeBytes(dbPath: string): number {
  try {
    return statSync(`${dbPath}-wal`).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

export interface CheckpointResult {
  /** A reader or a writer held the WAL: only part of it was copied back, and nothing was truncated. */
  busy: boolean;
  walFrames: number;
  checkpointedFrames: number;
}

/**
 * Copies the whole WAL into the database and truncates it to zero bytes. TRUNCATE waits for readers through
 * the busy handler, and with the connection's 10 s busy timeout that would stall this process's event loop
 * (better-sqlite3 is synchronous): a short timeout makes it give up instead, and the caller tries again later.
 */
export function truncateWal(db: Db, busyTimeoutMs = 50): CheckpointResult {
  const previous = db.pragma('busy_timeout', { simple: true }) as number;
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  try {
    const [row] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
    return { busy: row.busy !== 0, walFrames: row.log, checkpointedFrames: row.checkpointed };
  } finally {
    db.pragma(`busy_timeout = ${previous}`);
  }
}

export interface WalMonitorOptions {
  /** The database file; its WAL is `{path}-wal`. */
  path: string;
  thresholdBytes: number;
  /** 0 turns the timer off; `tick()` still works. */
  intervalMs: number;
  logger: { log(message: string): void; warn(message: string): void };
}

export interface WalTick {
  before: number;
  after: number;
  /** A checkpoint was attempted, because the WAL was past the threshold. */
  attempted: boolean;
  busy: boolean;
}

/**
 * Keeps the -wal file bounded. SQLite's automatic checkpoint is PASSIVE: while a long reader holds an old
 * snapshot it cannot reset the WAL, which grows with every write, and once the reader is gone the file keeps
 * its size. Past the threshold this truncates it, as soon as no reader stands in the way.
 */
export class WalMonitor {
  private timer: NodeJS.Timeout | undefined;
  /** Whether the last attempt was blocked, so a blocked WAL is logged once, not on every tick. */
  private blocked = false;

  constructor(
    private readonly db: Db,
    private readonly options: WalMonitorOptions,
  ) {}

  start(): this {
    if (this.options.intervalMs > 0 && !this.timer) {
      this.timer = setInterval(() => this.safeTick(), this.options.intervalMs);
      this.timer.unref();
    }
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  tick(): WalTick {
    const before = walSizeBytes(this.options.path);
    if (before <= this.options.thresholdBytes || !this.db.open) return { before, after: before, attempted: false, busy: false };
    const result = truncateWal(this.db);
    const after = walSizeBytes(this.options.path);
    if (result.busy) {
      if (!this.blocked) {
        this.options.logger.warn(
          `WAL is ${mib(before)} (threshold ${mib(this.options.thresholdBytes)}) and a long reader or writer holds it; checkpointing again every ${this.options.intervalMs} ms`,
        );
      }
      this.blocked = true;
    } else {
      this.options.logger.log(
        `WAL was ${mib(before)} (threshold ${mib(this.options.thresholdBytes)}); checkpointed and truncated to ${mib(after)}`,
      );
      this.blocked = false;
    }
    return { before, after, attempted: true, busy: result.busy };
  }

  private safeTick(): void {
    try {
      this.tick();
    } catch (err) {
      this.options.logger.warn(`WAL checkpoint failed: ${(err as Error).message}`);
    }
  }
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
