import { Db } from '../database';

export interface LogFileRedaction {
  log_file_id: string;
  request_id: string;
  redacted_path: string;
  redacted_size: number;
  original_sha256: string;
  redacted_sha256: string;
  span_count: number;
  /** JSON object: PII type -> approved spans. */
  counts_by_type: string;
  created_at: string;
}

/** The one finished redaction of a log file: where its redacted copy is, and what it hid. */
export class LogFileRedactionRepository {
  private readonly insertStmt;
  private readonly getStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO log_file_redactions (log_file_id, request_id, redacted_path, redacted_size, original_sha256, redacted_sha256, span_count, counts_by_type, created_at)
       VALUES (@log_file_id, @request_id, @redacted_path, @redacted_size, @original_sha256, @redacted_sha256, @span_count, @counts_by_type, @created_at)`,
    );
    this.getStmt = db.prepare(`SELECT * FROM log_file_redactions WHERE log_file_id = ?`);
  }

  insert(row: LogFileRedaction): void {
    this.insertStmt.run(row);
  }

  get(logFileId: string): LogFileRedaction | undefined {
    return this.getStmt.get(logFileId) as LogFileRedaction | undefined;
  }
}
