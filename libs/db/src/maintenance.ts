import type { Db } from './database';

/**
 * What the operator's commands (tftsr db, backup, restore, verify) ask of a whole database file, beside the
 * repositories: its integrity, its journal mode, and tables that older files may not have yet.
 */

/** SQLite's integrity_check, without its `ok`: empty when the file is sound. */
export function integrityProblems(db: Db): string[] {
  return (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).filter((r) => r !== 'ok');
}

/** Copies the WAL back into the file; PASSIVE never waits, TRUNCATE also empties the -wal file. */
export function checkpointWal(db: Db, mode: 'PASSIVE' | 'TRUNCATE'): void {
  db.pragma(`wal_checkpoint(${mode})`);
}

/** Switches the journal mode; returns the mode SQLite reports afterwards (it keeps WAL while another process has the file). */
export function setJournalMode(db: Db, mode: 'DELETE' | 'WAL'): unknown {
  return db.pragma(`journal_mode = ${mode}`, { simple: true });
}

export function setBusyTimeout(db: Db, ms: number): void {
  db.pragma(`busy_timeout = ${ms}`);
}

export function hasTable(db: Db, table: string): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?`).get(table) !== undefined;
}

export function hasColumn(db: Db, table: string, column: string): boolean {
  return (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[]).some((c) => c.name === column);
}

export interface LeftoverPii {
  /** Hidden spans of scan runs begun before `staleBefore` (ms), and the files they belong to. */
  staleStaged: { n: number; files: number };
  /** Original values still stored for spans of finalized files. */
  unwipedFinalized: number;
}

/** Original values that should be gone; files from before the scan-run or review migrations count none. */
export function leftoverPii(db: Db, staleBefore: number): LeftoverPii {
  const staleStaged = hasTable(db, 'pii_scan_runs')
    ? (db
        .prepare(
          `SELECT count(*) AS n, count(DISTINCT r.log_file_id) AS files FROM pii_scan_runs r
           JOIN pii_spans s ON s.log_file_id = r.log_file_id AND s.scan_run_id = r.run_id WHERE r.started_at < ?`,
        )
        .get(staleBefore) as { n: number; files: number })
    : { n: 0, files: 0 };
  const unwipedFinalized = hasTable(db, 'log_file_review')
    ? (db
        .prepare(
          `SELECT count(*) FROM pii_spans s JOIN log_file_review r ON r.log_file_id = s.log_file_id
           WHERE r.finalized_at IS NOT NULL AND s.original_value <> ''`,
        )
        .pluck()
        .get() as number)
    : 0;
  return { staleStaged, unwipedFinalized };
}
