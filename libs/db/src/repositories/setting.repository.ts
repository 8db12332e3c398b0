import type { Db } from '../database';
import type { Setting } from '../models';

export class SettingRepository {
  private readonly findStmt;
  private readonly listStmt;
  private readonly upsertStmt;

  constructor(db: Db) {
    this.findStmt = db.prepare(`SELECT * FROM settings WHERE key = ?`);
    this.listStmt = db.prepare(`SELECT * FROM settings ORDER BY key`);
    this.upsertStmt = db.prepare(
      `INSERT INTO settings (key, value, updated_at) VALUES (@key, @value, @updated_at)
       ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    );
  }

  findByKey(key: string): Setting | undefined {
    return this.findStmt.get(key) as Setting | undefined;
  }

  listAll(): Setting[] {
    return this.listStmt.all() as Setting[];
  }

  upsert(setting: Setting): void {
    this.upsertStmt.run(setting);
  }
}
