import type { Db } from '../database';
import type { Document } from '../models';

/** The seed's `documents`: generated RCAs and post-mortems, timestamps in INTEGER milliseconds. */
export class DocumentRepository {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly listStmt;
  private readonly updateStmt;
  private readonly deleteStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO documents (id, issue_id, doc_type, title, content_md, created_at, updated_at)
       VALUES (@id, @issue_id, @doc_type, @title, @content_md, @created_at, @updated_at)`,
    );
    this.getStmt = db.prepare(`SELECT * FROM documents WHERE id = ?`);
    this.listStmt = db.prepare(`SELECT * FROM documents WHERE issue_id = ? ORDER BY created_at DESC, id DESC`);
    this.updateStmt = db.prepare(`UPDATE documents SET title = @title, content_md = @content_md, updated_at = @updated_at WHERE id = @id`);
    this.deleteStmt = db.prepare(`DELETE FROM documents WHERE id = ?`);
  }

  insert(doc: Document): void {
    this.insertStmt.run(doc);
  }

  get(id: string): Document | undefined {
    return this.getStmt.get(id) as Document | undefined;
  }

  listForIssue(issueId: string): Document[] {
    return this.listStmt.all(issueId) as Document[];
  }

  update(doc: Pick<Document, 'id' | 'title' | 'content_md' | 'updated_at'>): void {
    this.updateStmt.run({ id: doc.id, title: doc.title, content_md: doc.content_md, updated_at: doc.updated_at });
  }

  delete(id: string): boolean {
    return this.deleteStmt.run(id).changes === 1;
  }
}
