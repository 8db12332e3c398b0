import type { Db } from '../database';
import { newId } from '../ids';
import { currentRequestId } from '@tftsr/telemetry/request-context';
import { isJobName, JOB_QUEUE } from '@tftsr/jobs/contracts';
import type { JobName, JobOf, JobPayloads, OutboxJob, QueueName } from '@tftsr/jobs/contracts';

export type OutboxState = 'pending' | 'dispatched' | 'done' | 'failed';

export interface OutboxRow {
  id: string;
  queue: string;
  job_name: string;
  payload: string;
  state: OutboxState;
  dispatch_attempts: number;
  next_attempt_at: number;
  created_at: number;
  dispatched_at: number | null;
  finished_at: number | null;
  last_error: string | null;
}

export interface OutboxStats {
  pending: number;
  dispatched: number;
  failed: number;
  oldest_pending_ms: number | null;
}

/** The jobs that go through the outbox: those whose payload carries the row id (every job but ping). */
export type OutboxJobName = { [N in JobName]: JobPayloads[N] extends OutboxJob ? N : never }[JobName];

/** What the caller gives for a job: its payload without what the outbox stamps itself (request id, generation). */
export type OutboxPayload<N extends OutboxJobName> = Omit<JobPayloads[N], 'request_id' | 'generation'>;

/** Jobs waiting to reach Redis, and their fate; see migrations/020_create_outbox.sql. */
export class OutboxRepository {
  private readonly insertStmt;
  private readonly dueStmt;
  private readonly staleStmt;
  private readonly dispatchedStmt;
  private readonly retryStmt;
  private readonly resetStmt;
  private readonly finishStmt;
  private readonly getStmt;
  private readonly statsStmt;
  private readonly pruneStmt;
  private readonly generationStmt;
  private readonly jobForStmt;
  private readonly openForFileStmt;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare(
      `INSERT INTO outbox (id, queue, job_name, payload, state, next_attempt_at, created_at)
       VALUES (@id, @queue, @job_name, @payload, 'pending', @now, @now)`,
    );
    this.dueStmt = db.prepare(`SELECT * FROM outbox WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`);
    this.staleStmt = db.prepare(`SELECT * FROM outbox WHERE state = 'dispatched' AND dispatched_at <= ? ORDER BY dispatched_at LIMIT ?`);
    this.dispatchedStmt = db.prepare(
      `UPDATE outbox SET state = 'dispatched', dispatched_at = ?, dispatch_attempts = dispatch_attempts + 1, last_error = NULL
       WHERE id = ? AND state = 'pending'`,
    );
    this.retryStmt = db.prepare(
      `UPDATE outbox SET dispatch_attempts = dispatch_attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ? AND state = 'pending'`,
    );
    this.resetStmt = db.prepare(
      `UPDATE outbox SET state = 'pending', next_attempt_at = ?, last_error = ? WHERE id = ? AND state = 'dispatched'`,
    );
    this.finishStmt = db.prepare(
      `UPDATE outbox SET state = ?, finished_at = ?, last_error = ? WHERE id = ? AND state IN ('pending', 'dispatched')`,
    );
    this.getStmt = db.prepare(`SELECT * FROM outbox WHERE id = ?`);
    this.generationStmt = db.prepare(`SELECT value FROM service_state WHERE name = 'restore_generation'`).pluck();
    this.jobForStmt = db.prepare(`SELECT 1 FROM outbox WHERE job_name = ? AND json_extract(payload, '$.' || ?) = ? LIMIT 1`);
    // Written as idx_outbox_open_by_log_file is (migration 039), so it reads that index and no other row.
    this.openForFileStmt = db
      .prepare(
        `SELECT id FROM outbox WHERE job_name = ? AND json_extract(payload, '$.log_file_id') = ? AND state IN ('pending', 'dispatched')
         ORDER BY id LIMIT 1`,
      )
      .pluck();
    // next_attempt_at <= finished_at, so the index narrows the candidates; finished_at decides.
    this.pruneStmt = db.prepare(
      `DELETE FROM outbox WHERE id IN (
         SELECT id FROM outbox WHERE state = 'done' AND next_attempt_at < @before AND finished_at < @before LIMIT @limit)`,
    );
    // Each count walks only its state's part of idx_outbox_state_due: done rows, the bulk of the table, are never read.
    this.statsStmt = db.prepare(
      `SELECT
         (SELECT count(*) FROM outbox WHERE state = 'pending') AS pending,
         (SELECT count(*) FROM outbox WHERE state = 'dispatched') AS dispatched,
         (SELECT count(*) FROM outbox WHERE state = 'failed') AS failed,
         (SELECT min(created_at) FROM outbox WHERE state = 'pending') AS oldest`,
    );
  }

  /**
   * Adds a job row; call it inside the transaction of the change that needs the job. The payload is built from the
   * row's id (its `outbox_id`); the queue is the job's own (JOB_QUEUE), and is stored for the operator's eyes only.
   */
  add<N extends OutboxJobName>(name: N, payload: (outboxId: string) => OutboxPayload<N>, now = Date.now()): OutboxRow {
    if (!this.db.inTransaction) throw new Error('outbox rows are written in the transaction of the change that needs them');
    const queue: QueueName | undefined = JOB_QUEUE[name];
    if (queue === undefined) throw new Error(`unknown job name ${String(name)}`);
    const id = newId();
    // The request that caused the job, so the worker's log lines can be joined to the API's (an id, fit for Redis).
    const requestId = currentRequestId();
    // The restore generation, so the job id recorded now (in the audit entry) is the one the relay will use.
    const generation = this.restoreGeneration();
    const body = { ...(requestId === undefined ? {} : { request_id: requestId }), ...payload(id), generation };
    this.insertStmt.run({ id, queue, job_name: name, payload: JSON.stringify(body), now });
    return this.getStmt.get(id) as OutboxRow;
  }

  /**
   * The row's job under the contract, with the generation the relay dispatches it under; undefined when the row
   * names no job this code knows. The payload is trusted as written: only the typed `add` writes these rows.
   */
  jobOf(row: OutboxRow, generation: string): JobOf | undefined {
    if (!isJobName(row.job_name)) return undefined;
    // eslint-disable-next-line @typescript-eslint/no-unsafe-argument -- trusted as written, as said above
    return jobOf(row.job_name, { ...JSON.parse(row.payload), generation });
  }

  /** See ServiceStateRepository: the relay stamps it on every job it dispatches. */
  restoreGeneration(): string {
    return (this.generationStmt.get() as string | undefined) ?? '0';
  }

  get(id: string): OutboxRow | undefined {
    return this.getStmt.get(id) as OutboxRow | undefined;
  }

  /** Whether a job of this name was ever recorded for this entity (e.g. a redact job for a redaction request). */
  hasJobFor(jobName: string, payloadField: string, value: string): boolean {
    return this.jobForStmt.get(jobName, payloadField, value) !== undefined;
  }

  /** The id of a job of this name for the log file that has not finished (pending or dispatched), if any. */
  findOpenForLogFile(jobName: OutboxJobName, logFileId: string): string | undefined {
    return this.openForFileStmt.get(jobName, logFileId) as string | undefined;
  }

  listDue(now: number, limit: number): OutboxRow[] {
    return this.dueStmt.all(now, limit) as OutboxRow[];
  }

  listDispatchedBefore(before: number, limit: number): OutboxRow[] {
    return this.staleStmt.all(before, limit) as OutboxRow[];
  }

  markDispatched(id: string, now = Date.now()): void {
    this.dispatchedStmt.run(now, id);
  }

  postpone(id: string, nextAttemptAt: number, reason: string): void {
    this.retryStmt.run(nextAttemptAt, reason, id);
  }

  /** Back to pending: its BullMQ job vanished (Redis lost its data, or the job was removed unfinished). */
  resetToPending(id: string, reason: string, now = Date.now()): void {
    this.resetStmt.run(now, reason, id);
  }

  /** Called by the job, in the transaction of its effect: done once, whatever runs it again. */
  markDone(id: string, now = Date.now()): boolean {
    return this.finishStmt.run('done', now, null, id).changes === 1;
  }

  markFailed(id: string, reason: string, now = Date.now()): void {
    this.finishStmt.run('failed', now, reason, id);
  }

  /**
   * Forgets rows that finished long ago, so the table does not grow with every upload for a year. Failed rows
   * stay (they say why), and a done row is kept well past the window in which its job could be dispatched again.
   */
  pruneDone(finishedBefore: number, limit: number): number {
    return this.pruneStmt.run({ before: finishedBefore, limit }).changes;
  }

  stats(now = Date.now()): OutboxStats {
    const row = this.statsStmt.get() as { pending: number; dispatched: number; failed: number; oldest: number | null };
    return {
      pending: row.pending,
      dispatched: row.dispatched,
      failed: row.failed,
      oldest_pending_ms: row.oldest === null ? null : now - row.oldest,
    };
  }
}

function jobOf<N extends JobName>(name: N, payload: JobPayloads[N]): JobOf<N> {
  return { name, payload };
}
