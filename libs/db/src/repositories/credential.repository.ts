import type { Db } from '../database';
import type { Credential, IntegrationService } from '../models';

/** The seed's `credentials` table: one encrypted secret per integration service. */
export class CredentialRepository {
  private readonly listStmt;
  private readonly getStmt;
  private readonly upsertStmt;
  private readonly deleteStmt;
  private readonly replaceTokenStmt;
  private readonly replaceHashStmt;

  constructor(db: Db) {
    this.listStmt = db.prepare(`SELECT * FROM credentials ORDER BY service`);
    this.getStmt = db.prepare(`SELECT * FROM credentials WHERE service = ?`);
    this.upsertStmt = db.prepare(
      `INSERT INTO credentials (id, service, token_hash, encrypted_token, created_at, expires_at)
       VALUES (@id, @service, @token_hash, @encrypted_token, @created_at, @expires_at)
       ON CONFLICT(service) DO UPDATE SET token_hash = excluded.token_hash, encrypted_token = excluded.encrypted_token,
         created_at = excluded.created_at, expires_at = excluded.expires_at`,
    );
    this.deleteStmt = db.prepare(`DELETE FROM credentials WHERE service = ?`);
    this.replaceTokenStmt = db.prepare(`UPDATE credentials SET encrypted_token = ? WHERE id = ?`);
    this.replaceHashStmt = db.prepare(`UPDATE credentials SET token_hash = ? WHERE id = ?`);
  }

  listAll(): Credential[] {
    return this.listStmt.all() as Credential[];
  }

  get(service: IntegrationService): Credential | undefined {
    return this.getStmt.get(service) as Credential | undefined;
  }

  /** Stores the service's secret, replacing the previous one (the row keeps its id). */
  upsert(credential: Credential): Credential {
    this.upsertStmt.run(credential);
    return this.get(credential.service)!;
  }

  delete(service: IntegrationService): boolean {
    return this.deleteStmt.run(service).changes === 1;
  }

  /** For key rotation and the token_hash upgrade: the same secret's hash under another key. */
  replaceTokenHash(id: string, tokenHash: string): void {
    this.replaceHashStmt.run(tokenHash, id);
  }

  /** For key rotation: the same secret, encrypted under another key. */
  replaceEncryptedToken(id: string, encryptedToken: string): void {
    this.replaceTokenStmt.run(encryptedToken, id);
  }
}
