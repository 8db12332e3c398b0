import { Db } from '../database';
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
}

/** Approvals waiting for (or done by) the redact job; see migrations/022_create_redactions.sql. */
export class RedactionRequestRepository {
  private readonly insertStmt;
  private readonly getStmt;
  private readonly pendingStmt;
  private readonly finishStmt;

  constructor(db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO redaction_requests (id, log_file_id, span_ids, requested_by, state, failure_reason, created_at, finished_at)
       VALUES (@id, @log_file_id, @span_ids, @requested_by, @state, @failure_reason, @created_at, @finished_at)`,
    );
    this.getStmt = db.prepare(`SELECT * FROM redaction_requests WHERE id = ?`);
    this.pendingStmt = db.prepare(`SELECT * FROM redaction_requests WHERE log_file_id = ? AND state = 'pending'`);
    this.finishStmt = db.prepare(`UPDATE redaction_requests SET state = ?, failure_reason = ?, finished_at = ? WHERE id = ? AND state = 'pending'`);
  }

  insert(request: RedactionRequest): void {
    this.insertStmt.run(request);
  }

  get(id: string): RedactionRequest | undefined {
    return this.getStmt.get(id) as RedactionRequest | undefined;
  }

  findPending(logFileId: string): RedactionRequest | undefined {
    return this.pendingStmt.get(logFileId) as RedactionRequest | undefined;
  }

  markDone(id: string): boolean {
    return this.finishStmt.run('done', null, toDbTimestamp(), id).changes === 1;
  }

  markFailed(id: string, reason: string): boolean {
    return this.finishStmt.run('failed', reason, toDbTimestamp(), id).changes === 1;
  }
}
