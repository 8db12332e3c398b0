import type { Db } from './database';
import { isSqliteBusy } from './errors';

/**
 * Readiness probes on the live connection. Both are cheap and never wait long: better-sqlite3 is synchronous,
 * so anything slow here would stall every request of the process.
 */

/** A first read of the schema; throws what the connection throws when the database does not answer. */
export function pingDatabase(db: Db): void {
  db.prepare('SELECT count(*) FROM sqlite_master').get();
}

/** How long the oldest pending outbox row has waited, in ms; null when none waits. Walks idx_outbox_state_due. */
export function oldestPendingOutboxAgeMs(db: Db, now = Date.now()): number | null {
  const row = db.prepare(`SELECT min(created_at) AS oldest FROM outbox WHERE state = 'pending'`).get() as { oldest: number | null };
  return row.oldest === null ? null : Math.max(0, now - row.oldest);
}

/**
 * Log files that are neither ready nor failed and that nothing is moving: no open outbox job will ever touch
 * them, or their job was dispatched and the file has not changed for `stuckMs` (its job is lost or looping).
 * Walks only the unfinished rows of log_file_processing and the open part of the outbox.
 */
export function stuckLogFiles(db: Db, stuckMs: number, now = Date.now(), limit = 5): { count: number; ids: string[] } {
  const before = new Date(now - stuckMs).toISOString().slice(0, 19).replace('T', ' ');
  const rows = db
    .prepare(
      `WITH open_jobs AS (
         SELECT json_extract(payload, '$.log_file_id') AS log_file_id, max(state = 'pending') AS has_pending, min(coalesce(dispatched_at, 0)) AS dispatched_at
         FROM outbox WHERE state IN ('pending', 'dispatched') AND job_name IN ('hash', 'detect_pii') GROUP BY 1)
       SELECT p.log_file_id AS id FROM log_file_processing p LEFT JOIN open_jobs j ON j.log_file_id = p.log_file_id
       WHERE NOT (p.hash_state = 'done' AND p.scan_state = 'done') AND p.hash_state <> 'failed' AND p.scan_state <> 'failed'
         AND (j.log_file_id IS NULL OR (j.has_pending = 0 AND j.dispatched_at < @before_ms AND p.updated_at < @before))
       ORDER BY p.log_file_id`,
    )
    .all({ before, before_ms: now - stuckMs }) as { id: string }[];
  return { count: rows.length, ids: rows.slice(0, limit).map((r) => r.id) };
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
    if (isSqliteBusy(err)) return false;
    throw err;
  } finally {
    db.pragma(`busy_timeout = ${previous}`);
  }
}
