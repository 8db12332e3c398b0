import type { Db } from '../database';

/** What the worker's ping reports of the schema; migrate.ts applies the migrations themselves. */
export class MigrationRepository {
  private readonly countStmt;

  constructor(db: Db) {
    this.countStmt = db.prepare(`SELECT count(*) AS n FROM _migrations`);
  }

  countApplied(): number {
    return (this.countStmt.get() as { n: number }).n;
  }
}
