import type { Db } from '../database';
import { toDbTimestamp } from '../ids';

export type RedactionRequestState = 'pending' | 'done' | 'failed';

export interface RedactionRequest {
  id: string;
  log_file_id: string;
  /** JSON array of span ids, sorted; null approves every span of the file. */
  span_ids: string | null;
  requested_by: string;
  state: RedactionRequestState;
  failure_reason: string | null;
  created_at: string;
  finished_at: string | null;
  /** 1: finalize the file once this version is written (issue 12). */
  finalize: number;
}

/** Approvals waiting for (or done by) the redact job; see migrations/022_create_redactions.sql. */
export class RedactionRequestRepository {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly pendingStmt;
  private readonly finishStmt;
  private readonly finalizingStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO redaction_requests (id, log_file_id, span_ids, requested_by, state, failure_reason, created_at, finished_at, finalize)
       VALUES (@id, @log_file_id, @span_ids, @requested_by, @state, @failure_reason, @created_at, @finished_at, @finalize)`,
    );
    this.getStmt = db.prepare(`SELECT * FROM redaction_requests WHERE id = ?`);
    this.pendingStmt = db.prepare(`SELECT * FROM redaction_requests WHERE log_file_id = ? AND state = 'pending'`);
    this.finalizingStmt = db.prepare(`UPDATE redaction_requests SET finalize = 1 WHERE id = ? AND state = 'pending'`);
    this.finishStmt = db.prepare(
      `UPDATE redaction_requests SET state = ?, failure_reason = ?, finished_at = ? WHERE id = ? AND state = 'pending'`,
    );
  }

  insert(request: Omit<RedactionRequest, 'finalize'> & { finalize?: number }): void {
    this.insertStmt.run({ finalize: 0, ...request });
  }

  get(id: string): RedactionRequest | undefined {
    return this.getStmt.get(id) as RedactionRequest | undefined;
  }

  findPending(logFileId: string): RedactionRequest | undefined {
    return this.pendingStmt.get(logFileId) as RedactionRequest | undefined;
  }

  /** The pending request will also finalize the file (the worker reads this in its finishing transaction). */
  markFinalizing(id: string): boolean {
    return this.finalizingStmt.run(id).changes === 1;
  }

  markDone(id: string): boolean {
    return this.finishStmt.run('done', null, toDbTimestamp(), id).changes === 1;
  }

  markFailed(id: string, reason: string): boolean {
    return this.finishStmt.run('failed', reason, toDbTimestamp(), id).changes === 1;
  }
}
