import type { Db } from '../database';
import type { AiConversation } from '../models';

export class AiConversationRepository {
  private readonly insertStmt;
  private readonly findStmt;
  private readonly listStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO ai_conversations (id, issue_id, provider, model, created_at, title)
       VALUES (@id, @issue_id, @provider, @model, @created_at, @title)`,
    );
    this.findStmt = db.prepare(`SELECT * FROM ai_conversations WHERE id = ?`);
    this.listStmt = db.prepare(`SELECT * FROM ai_conversations WHERE issue_id = ? ORDER BY created_at, id`);
  }

  insert(conversation: AiConversation): void {
    this.insertStmt.run(conversation);
  }

  findById(id: string): AiConversation | undefined {
    return this.findStmt.get(id) as AiConversation | undefined;
  }

  listForIssue(issueId: string): AiConversation[] {
    return this.listStmt.all(issueId) as AiConversation[];
  }
}
