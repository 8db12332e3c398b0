import { Db } from './database';

/**
 * Readiness probes on the live connection. Both are cheap and never wait long: better-sqlite3 is synchronous,
 * so anything slow here would stall every request of the process.
 */

/** How long the oldest pending outbox row has waited, in ms; null when none waits. Walks idx_outbox_state_due. */
export function oldestPendingOutboxAgeMs(db: Db, now = Date.now()): number | null {
  const row = db.prepare(`SELECT min(created_at) AS oldest FROM outbox WHERE state = 'pending'`).get() as { oldest: number | null };
  return row.oldest === null ? null : Math.max(0, now - row.oldest);
}

/**
 * Tries to take the write lock (BEGIN IMMEDIATE) and releases it at once. The busy timeout is lowered for the
 * attempt, so that a held lock costs this process at most `waitMs` of blocking; a writer that arrives meanwhile
 * waits through its own busy timeout, which is far longer.
 */
export function tryWriteLock(db: Db, waitMs = 10): boolean {
  if (db.inTransaction) return true;
  const previous = db.pragma('busy_timeout', { simple: true }) as number;
  db.pragma(`busy_timeout = ${waitMs}`);
  try {
    db.exec('BEGIN IMMEDIATE');
    db.exec('ROLLBACK');
    return true;
  } catch (err) {
    if (/^SQLITE_BUSY/.test((err as { code?: string }).code ?? '')) return false;
    throw err;
  } finally {
    db.pragma(`busy_timeout = ${previous}`);
  }
}

/**
 * Runs housekeeping `fn` with the busy timeout lowered to `waitMs`: if another process holds the write lock,
 * this process is blocked for at most that long (it throws SQLITE_BUSY; try again later) instead of the full
 * timeout that user-facing writes wait.
 */
export function withShortBusyTimeout<T>(db: Db, waitMs: number, fn: () => T): T {
  const previous = db.pragma('busy_timeout', { simple: true }) as number;
  db.pragma(`busy_timeout = ${waitMs}`);
  try {
    return fn();
  } finally {
    db.pragma(`busy_timeout = ${previous}`);
  }
}
