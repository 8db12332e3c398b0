import type { Db } from '../database';

/** The tables whose rows keep the id they had elsewhere (the desktop app's UUIDv7s), so an import can be rerun. */
export type KeptIdTable =
  'issues' | 'log_files' | 'resolution_steps' | 'ai_conversations' | 'ai_messages' | 'documents' | 'image_attachments' | 'audit_log';

const CHUNK = 500;

/** Which of a batch of ids a table already holds. */
export class KnownIdsRepository {
  private readonly stmts = new Map<string, ReturnType<Db['prepare']>>();

  constructor(private readonly db: Db) {}

  existing(table: KeptIdTable, ids: readonly string[]): Set<string> {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      for (const row of this.stmt(table, chunk.length).all(chunk) as { id: string }[]) found.add(row.id);
    }
    return found;
  }

  private stmt(table: KeptIdTable, n: number): ReturnType<Db['prepare']> {
    const sql = `SELECT id FROM ${table} WHERE id IN (${Array.from({ length: n }, () => '?').join(', ')})`;
    let stmt = this.stmts.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      if (n === CHUNK) this.stmts.set(sql, stmt);
    }
    return stmt;
  }
}
