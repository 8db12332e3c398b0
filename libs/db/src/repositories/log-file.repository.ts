import type { Db } from '../database';
import type { LogFile } from '../models';

/** Read side only for now; uploads (issue 5) add the writes. */
export class LogFileRepository {
  private readonly listStmt;
  private readonly pageStmt;
  private readonly insertStmt;
  private readonly findStmt;
  private readonly countStmt;

  constructor(db: Db) {
    this.findStmt = db.prepare(`SELECT * FROM log_files WHERE id = ?`);
    this.countStmt = db.prepare(`SELECT count(*) AS n FROM log_files WHERE issue_id = ?`);
    this.listStmt = db.prepare(`SELECT * FROM log_files WHERE issue_id = ? ORDER BY uploaded_at, id`);
    this.pageStmt = db.prepare(
      `SELECT * FROM log_files WHERE issue_id = @issueId AND (@afterAt IS NULL OR (uploaded_at, id) > (@afterAt, @afterId)) ORDER BY uploaded_at, id LIMIT @limit`,
    );
    this.insertStmt = db.prepare(
      `INSERT INTO log_files (id, issue_id, file_name, file_path, file_size, mime_type, content_hash, uploaded_at, redacted)
       VALUES (@id, @issue_id, @file_name, @file_path, @file_size, @mime_type, @content_hash, @uploaded_at, @redacted)`,
    );
  }

  insert(file: LogFile): void {
    this.insertStmt.run(file);
  }

  findById(id: string): LogFile | undefined {
    return this.findStmt.get(id) as LogFile | undefined;
  }

  countForIssue(issueId: string): number {
    return (this.countStmt.get(issueId) as { n: number }).n;
  }

  listForIssue(issueId: string): LogFile[] {
    return this.listStmt.all(issueId) as LogFile[];
  }

  /** One page in upload order, after the (uploaded_at, id) of the previous page's last row. */
  pageForIssue(issueId: string, after: { uploaded_at: string; id: string } | undefined, limit: number): LogFile[] {
    return this.pageStmt.all({ issueId, afterAt: after?.uploaded_at ?? null, afterId: after?.id ?? null, limit }) as LogFile[];
  }
}
