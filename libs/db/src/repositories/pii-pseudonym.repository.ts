import type { Db } from '../database';

/** Numbered pseudonyms per issue and type (pii_pseudonyms), so `[email-3]` names one value everywhere. */
export class PiiPseudonymRepository {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      next: db.prepare(`SELECT coalesce(max(number), 0) + 1 AS n FROM pii_pseudonyms WHERE issue_id = ? AND pii_type = ?`),
      get: db.prepare(`SELECT number FROM pii_pseudonyms WHERE issue_id = ? AND value_key = ?`),
      put: db.prepare(`INSERT INTO pii_pseudonyms (issue_id, value_key, pii_type, number) VALUES (?, ?, ?, ?)`),
    };
  }

  /** The value's number, if it has one yet (a read only). */
  find(issueId: string, valueKey: string): number | undefined {
    return (this.stmts.get.get(issueId, valueKey) as { number: number } | undefined)?.number;
  }

  /** The value's number within the issue and type: the same for every file and every re-redaction. */
  pseudonym(issueId: string, valueKey: string, type: string): number {
    const found = this.find(issueId, valueKey);
    if (found !== undefined) return found;
    const { n } = this.stmts.next.get(issueId, type) as { n: number };
    this.stmts.put.run(issueId, valueKey, type, n);
    return n;
  }
}
