import { Db } from '../database';
import { LogFile } from '../models';

/** Read side only for now; uploads (issue 5) add the writes. */
export class LogFileRepository {
  private readonly listStmt;

  constructor(db: Db) {
    this.listStmt = db.prepare(`SELECT * FROM log_files WHERE issue_id = ? ORDER BY uploaded_at, id`);
  }

  listForIssue(issueId: string): LogFile[] {
    return this.listStmt.all(issueId) as LogFile[];
  }
}
