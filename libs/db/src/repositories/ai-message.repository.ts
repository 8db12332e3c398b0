import type { Db } from '../database';
import type { AiMessage } from '../models';

export class AiMessageRepository {
  private readonly insertStmt;
  private readonly listStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO ai_messages (id, conversation_id, role, content, token_count, created_at)
       VALUES (@id, @conversation_id, @role, @content, @token_count, @created_at)`,
    );
    // Ids are UUID v7, so within one second they keep the order the messages were written in.
    this.listStmt = db.prepare(`SELECT * FROM ai_messages WHERE conversation_id = ? ORDER BY created_at, id`);
  }

  insert(message: AiMessage): void {
    this.insertStmt.run(message);
  }

  listForConversation(conversationId: string): AiMessage[] {
    return this.listStmt.all(conversationId) as AiMessage[];
  }
}
