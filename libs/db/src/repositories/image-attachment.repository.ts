import type { Db } from '../database';
import type { ImageAttachment } from '../models';

/**
 * Images of an issue. (issue_id, upload_hash) is not unique in the table: rows the desktop app wrote may
 * repeat, so uploads deduplicate by looking up inside their write transaction (BEGIN IMMEDIATE serialises it).
 */
export class ImageAttachmentRepository {
  private readonly insertStmt;
  private readonly findStmt;
  private readonly findByHashStmt;
  private readonly countStmt;
  private readonly listStmt;
  private readonly deleteStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO image_attachments (id, issue_id, file_name, file_path, file_size, mime_type, upload_hash, uploaded_at, pii_warning_acknowledged, is_paste)
       VALUES (@id, @issue_id, @file_name, @file_path, @file_size, @mime_type, @upload_hash, @uploaded_at, @pii_warning_acknowledged, @is_paste)`,
    );
    this.findStmt = db.prepare(`SELECT * FROM image_attachments WHERE id = ?`);
    // The oldest row wins, so a duplicate left by the desktop app always answers with the same row.
    this.findByHashStmt = db.prepare(
      `SELECT * FROM image_attachments WHERE issue_id = ? AND upload_hash = ? ORDER BY uploaded_at, id LIMIT 1`,
    );
    this.countStmt = db.prepare(`SELECT count(*) AS n FROM image_attachments WHERE issue_id = ?`);
    this.listStmt = db.prepare(`SELECT * FROM image_attachments WHERE issue_id = ? ORDER BY uploaded_at, id`);
    this.deleteStmt = db.prepare(`DELETE FROM image_attachments WHERE id = ?`);
  }

  insert(row: ImageAttachment): void {
    this.insertStmt.run(row);
  }

  findById(id: string): ImageAttachment | undefined {
    return this.findStmt.get(id) as ImageAttachment | undefined;
  }

  findByUploadHash(issueId: string, uploadHash: string): ImageAttachment | undefined {
    return this.findByHashStmt.get(issueId, uploadHash) as ImageAttachment | undefined;
  }

  countForIssue(issueId: string): number {
    return (this.countStmt.get(issueId) as { n: number }).n;
  }

  listForIssue(issueId: string): ImageAttachment[] {
    return this.listStmt.all(issueId) as ImageAttachment[];
  }

  delete(id: string): boolean {
    return this.deleteStmt.run(id).changes === 1;
  }
}
