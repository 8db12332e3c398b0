import type { Db } from '../database';

export interface LogFileRedaction {
  log_file_id: string;
  request_id: string;
  redacted_path: string;
  redacted_size: number;
  original_sha256: string;
  redacted_sha256: string;
  span_count: number;
  /** JSON object: PII type -> redacted spans. */
  counts_by_type: string;
  created_at: string;
  /** 1 for the first redacted copy; each apply writes the next (issue 12). */
  version: number;
  /** The file's decisions_rev that this version applied. */
  decisions_rev: number;
  replacement_style: string;
  /** 1: written from a partial approval before issue 12; the worker re-redacts it (migration 031). */
  legacy_partial?: number;
}

/**
 * The current redacted copy of a log file: where it is, and what it hid. Each apply replaces the row (and the
 * caller removes the previous blob once the swap committed), so a download always gets the latest version.
 */
export class LogFileRedactionRepository {
  private readonly upsertStmt;
  private readonly getStmt;

  constructor(db: Db) {
    this.upsertStmt = db.prepare(
      `INSERT OR REPLACE INTO log_file_redactions
         (log_file_id, request_id, redacted_path, redacted_size, original_sha256, redacted_sha256, span_count, counts_by_type, created_at, version, decisions_rev, replacement_style)
       VALUES (@log_file_id, @request_id, @redacted_path, @redacted_size, @original_sha256, @redacted_sha256, @span_count, @counts_by_type, @created_at, @version, @decisions_rev, @replacement_style)`,
    );
    this.getStmt = db.prepare(`SELECT * FROM log_file_redactions WHERE log_file_id = ?`);
  }

  /** Writes the file's current version, replacing the previous one. */
  put(row: LogFileRedaction): void {
    this.upsertStmt.run(row);
  }

  get(logFileId: string): LogFileRedaction | undefined {
    return this.getStmt.get(logFileId) as LogFileRedaction | undefined;
  }
}
