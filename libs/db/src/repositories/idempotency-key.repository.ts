import type { Db } from '../database';

export interface IdempotencyRecord {
  owner: string;
  idempotency_key: string;
  request_target: string;
  request_digest: string | null;
  state: 'in_progress' | 'done';
  process_boot: string;
  response_status: number | null;
  response_body: string | null;
  created_at: number;
}

/** A key is remembered this long; a retry after that acts again. */
export const IDEMPOTENCY_KEY_TTL_MS = 24 * 3600 * 1000;

/** The first result of each (API key, Idempotency-Key); see migrations/034_create_idempotency_keys.sql. */
export class IdempotencyKeyRepository {
  private readonly getStmt;
  private readonly insertStmt;
  private readonly takeOverStmt;
  private readonly completeStmt;
  private readonly abandonStmt;
  private readonly pruneStmt;

  constructor(db: Db) {
    this.getStmt = db.prepare(`SELECT * FROM idempotency_keys WHERE owner = ? AND idempotency_key = ?`);
    this.insertStmt = db.prepare(
      `INSERT INTO idempotency_keys (owner, idempotency_key, request_target, state, process_boot, created_at)
       VALUES (@owner, @key, @target, 'in_progress', @boot, @now) ON CONFLICT DO NOTHING`,
    );
    this.takeOverStmt = db.prepare(
      `UPDATE idempotency_keys SET request_target = @target, process_boot = @boot, created_at = @now
       WHERE owner = @owner AND idempotency_key = @key AND state = 'in_progress' AND process_boot <> @boot`,
    );
    this.completeStmt = db.prepare(
      `UPDATE idempotency_keys SET state = 'done', request_digest = ?, response_status = ?, response_body = ? WHERE owner = ? AND idempotency_key = ? AND state = 'in_progress'`,
    );
    this.abandonStmt = db.prepare(`DELETE FROM idempotency_keys WHERE owner = ? AND idempotency_key = ? AND state = 'in_progress'`);
    this.pruneStmt = db.prepare(`DELETE FROM idempotency_keys WHERE created_at < ?`);
  }

  get(owner: string, key: string, now = Date.now()): IdempotencyRecord | undefined {
    const row = this.getStmt.get(owner, key) as IdempotencyRecord | undefined;
    return row && row.created_at >= now - IDEMPOTENCY_KEY_TTL_MS ? row : undefined;
  }

  /**
   * Takes the key for a first request; false when another request holds it. An in-progress row of another process
   * boot was left by a crash (its request never answered) and is taken over.
   */
  begin(owner: string, key: string, target: string, boot: string, now = Date.now()): boolean {
    this.pruneStmt.run(now - IDEMPOTENCY_KEY_TTL_MS);
    if (this.insertStmt.run({ owner, key, target, boot, now }).changes === 1) return true;
    return this.takeOverStmt.run({ owner, key, target, boot, now }).changes === 1;
  }

  complete(owner: string, key: string, digest: string, status: number, body: string): void {
    this.completeStmt.run(digest, status, body, owner, key);
  }

  /** The request failed: a retry with the key acts afresh. */
  abandon(owner: string, key: string): void {
    this.abandonStmt.run(owner, key);
  }
}
