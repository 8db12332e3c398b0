import { Db } from '../database';
import { Credential } from '../models';

/** The seed's `credentials` table: one encrypted secret per integration service. */
export class CredentialRepository {
  private readonly listStmt;
  private readonly replaceTokenStmt;

  constructor(db: Db) {
    this.listStmt = db.prepare(`SELECT * FROM credentials ORDER BY service`);
    this.replaceTokenStmt = db.prepare(`UPDATE credentials SET encrypted_token = ? WHERE id = ?`);
  }

  listAll(): Credential[] {
    return this.listStmt.all() as Credential[];
  }

  /** For key rotation: the same secret, encrypted under another key. */
  replaceEncryptedToken(id: string, encryptedToken: string): void {
    this.replaceTokenStmt.run(encryptedToken, id);
  }
}
