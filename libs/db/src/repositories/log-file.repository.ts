import { Db } from '../database';
import { LogFile } from '../models';

/** Read side only for now; uploads (issue 5) add the writes. */
export class LogFileRepository {
  private readonly listStmt;
  private readonly insertStmt;

  constructor(db: Db) {
    this.listStmt = db.prepare(`SELECT * FROM log_files WHERE issue_id = ? ORDER BY uploaded_at, id`);
    this.insertStmt = db.prepare(
      `INSERT INTO log_files (id, issue_id, file_name, file_path, file_size, mime_type, content_hash, uploaded_at, redacted)
       VALUES (@id, @issue_id, @file_name, @file_path, @file_size, @mime_type, @content_hash, @uploaded_at, @redacted)`,
    );
  }

  insert(file: LogFile): void {
    this.insertStmt.run(file);
  }

  listForIssue(issueId: string): LogFile[] {
    return this.listStmt.all(issueId) as LogFile[];
  }
}
