import type { Db } from '../database';
import type { LogFile } from '../models';

/** The log_files statements of the worker's jobs: the file a job works on, and what hashing and redaction record. */
export class LogFileIngestRepository {
  private readonly getStmt;
  private readonly issueIdStmt;
  private readonly recordHashStmt;
  private readonly markRedactedStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare(`SELECT * FROM log_files WHERE id = ?`);
    this.issueIdStmt = db.prepare(`SELECT issue_id FROM log_files WHERE id = ?`);
    this.recordHashStmt = db.prepare(`UPDATE log_files SET content_hash = ?, file_size = ? WHERE id = ?`);
    this.markRedactedStmt = db.prepare(`UPDATE log_files SET redacted = 1 WHERE id = ?`);
  }

  get(id: string): LogFile | undefined {
    return this.getStmt.get(id) as LogFile | undefined;
  }

  /** The issue of a log file, or null once it is deleted. */
  issueIdOf(id: string): string | null {
    return (this.issueIdStmt.get(id) as { issue_id: string } | undefined)?.issue_id ?? null;
  }

  /** The content hash and the real size, as the hash job streamed them. */
  recordHash(id: string, sha256: string, size: number): void {
    this.recordHashStmt.run(sha256, size, id);
  }

  markRedacted(id: string): void {
    this.markRedactedStmt.run(id);
  }
}
