import { randomBytes } from 'node:crypto';
import type { Db } from '../database';
import { toDbTimestamp } from '../ids';

/**
 * Facts about the service itself that must live with the data (migrations/027_create_recovery_state.sql).
 * The restore generation is part of every outbox job id: a restored database gets a new one, so job ids
 * Redis remembers from before the restore never match a job of the restored rows.
 */
export class ServiceStateRepository {
  private readonly getStmt;
  private readonly setStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare(`SELECT value FROM service_state WHERE name = ?`).pluck();
    this.setStmt = db.prepare(
      `INSERT INTO service_state (name, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    );
  }

  restoreGeneration(): string {
    return (this.getStmt.get('restore_generation') as string | undefined) ?? '0';
  }

  /** A fresh random generation (never a counter: restoring the same backup twice must differ too). */
  newRestoreGeneration(): string {
    const generation = randomBytes(4).toString('hex');
    this.setStmt.run('restore_generation', generation, toDbTimestamp());
    return generation;
  }
}
