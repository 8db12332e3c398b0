import type { Db } from '../database';
import type { ResolutionStep } from '../models';

/** The 5-Whys. (issue_id, step_order) is unique (migration 018). */
export class ResolutionStepRepository {
  private readonly insertStmt;
  private readonly findStmt;
  private readonly findByOrderStmt;
  private readonly listStmt;
  private readonly updateStmt;
  private readonly setOrderStmt;
  private readonly deleteStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO resolution_steps (id, issue_id, step_order, why_question, answer, evidence, created_at)
       VALUES (@id, @issue_id, @step_order, @why_question, @answer, @evidence, @created_at)`,
    );
    this.findStmt = db.prepare(`SELECT * FROM resolution_steps WHERE id = ?`);
    this.findByOrderStmt = db.prepare(`SELECT * FROM resolution_steps WHERE issue_id = ? AND step_order = ?`);
    this.listStmt = db.prepare(`SELECT * FROM resolution_steps WHERE issue_id = ? ORDER BY step_order, id`);
    this.updateStmt = db.prepare(
      `UPDATE resolution_steps SET step_order = @step_order, why_question = @why_question, answer = @answer, evidence = @evidence
       WHERE id = @id`,
    );
    this.setOrderStmt = db.prepare(`UPDATE resolution_steps SET step_order = ? WHERE id = ?`);
    this.deleteStmt = db.prepare(`DELETE FROM resolution_steps WHERE id = ?`);
  }

  insert(step: ResolutionStep): void {
    this.insertStmt.run(step);
  }

  findById(id: string): ResolutionStep | undefined {
    return this.findStmt.get(id) as ResolutionStep | undefined;
  }

  findByOrder(issueId: string, stepOrder: number): ResolutionStep | undefined {
    return this.findByOrderStmt.get(issueId, stepOrder) as ResolutionStep | undefined;
  }

  listForIssue(issueId: string): ResolutionStep[] {
    return this.listStmt.all(issueId) as ResolutionStep[];
  }

  update(step: ResolutionStep): void {
    this.updateStmt.run(step);
  }

  /**
   * Gives the listed steps the orders 1..n in one go. The unique index is checked per statement, so the
   * steps first move to negative orders, out of each other's way. Call it inside a transaction.
   */
  renumber(orderedIds: string[]): void {
    orderedIds.forEach((id, n) => this.setOrderStmt.run(-(n + 1), id));
    orderedIds.forEach((id, n) => this.setOrderStmt.run(n + 1, id));
  }

  delete(id: string): boolean {
    return this.deleteStmt.run(id).changes === 1;
  }
}
