import { Db } from '../database';
import { ImageAttachment } from '../models';

/** Read side only for now; uploads (issue 5) add the writes. */
export class ImageAttachmentRepository {
  private readonly listStmt;

  constructor(db: Db) {
    this.listStmt = db.prepare(`SELECT * FROM image_attachments WHERE issue_id = ? ORDER BY uploaded_at, id`);
  }

  listForIssue(issueId: string): ImageAttachment[] {
    return this.listStmt.all(issueId) as ImageAttachment[];
  }
}
