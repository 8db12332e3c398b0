import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { crashIfArmed, warnIfFaultArmed } from '@tftsr/config';
import { GroupCommit, isSqliteBusy, OutboxRepository, OutboxRow } from '@tftsr/db';
import { jobIdFor, JobOf } from '@tftsr/jobs';
import { ApiConfig } from '../config/api.config';
import { JobProducer } from '../queue/job-producer.service';
import { AbandonedJobs } from './abandoned-job';

const BATCH = 200;
const MAX_BACKOFF_MS = 30_000;
/** Done rows are forgotten after a week: far past Redis's retention of finished jobs and the reconciler's window. */
const DONE_ROW_RETENTION_MS = 7 * 24 * 3600 * 1000;

/**
 * Moves outbox rows into BullMQ. It runs right after each commit (kick) and on an interval, so a row written
 * while Redis was down goes out when Redis is back. The reconciler re-dispatches rows whose job vanished.
 */
@Injectable()
export class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  private timers: NodeJS.Timeout[] = [];
  private relaying: Promise<void> | null = null;
  private reconciling: Promise<unknown> | null = null;
  private again = false;
  private stopped = false;
  private lastDispatchError: string | null = null;

  constructor(
    private readonly group: GroupCommit,
    private readonly producer: JobProducer,
    private readonly config: ApiConfig,
    private readonly outbox: OutboxRepository,
    private readonly abandoned: AbandonedJobs,
  ) {}

  onApplicationBootstrap(): void {
    warnIfFaultArmed(this.config, this.logger);
    this.timers = [
      setInterval(() => this.kick(), this.config.TFTSR_OUTBOX_RELAY_INTERVAL_MS),
      setInterval(() => this.reconcileInBackground(), this.config.TFTSR_OUTBOX_RECONCILE_INTERVAL_MS),
    ];
    this.kick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.timers.forEach(clearInterval);
    // The database closes after this: no pass may still be using it.
    await Promise.all([this.relaying, this.reconciling]);
  }

  /** One reconcile pass at a time, and none once the relay has stopped. */
  private reconcileInBackground(): void {
    if (this.stopped || this.reconciling) return;
    this.reconciling = this.reconcile()
      .catch((err: unknown) => this.logger.warn(`could not reconcile the outbox with Redis: ${(err as Error).message}`))
      .finally(() => (this.reconciling = null));
  }

  /** Asks for a relay pass soon; passes never overlap, and a kick during one causes one more. */
  kick(): void {
    if (this.stopped) return;
    if (this.relaying) {
      this.again = true;
      return;
    }
    this.relaying = this.relay().finally(() => {
      this.relaying = null;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /**
   * Dispatches due rows, BATCH at a time, with one `addBulk` per queue (a round trip per batch, not per job). The
   * rows sent are marked in one unit of the group commit at the end: not one commit per job. A crash before it
   * only means they are sent again, which their job ids make harmless. When Redis refuses, every row of the batch
   * is postponed (some may have reached Redis: the same ids dedupe the resend).
   */
  async relay(): Promise<void> {
    const sent: string[] = [];
    try {
      const generation = this.outbox.restoreGeneration();
      const rows: OutboxRow[] = [];
      const jobs: JobOf[] = [];
      for (const row of this.outbox.listDue(Date.now(), BATCH)) {
        const job = this.outbox.jobOf(row, generation);
        if (!job) {
          await this.group.run(() => this.outbox.markFailed(row.id, `unknown job name ${row.job_name}`));
          continue;
        }
        rows.push(row);
        jobs.push(job);
      }
      if (jobs.length === 0) return;
      try {
        await this.producer.enqueueMany(jobs);
      } catch (err) {
        const reason = describeDispatchError(err);
        await this.group.run(() => {
          for (const row of rows) {
            const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(row.dispatch_attempts, 10));
            this.outbox.postpone(row.id, Date.now() + delay, reason);
          }
        });
        this.logDispatchError(reason);
        return;
      }
      // Test-only crash point (fault suite): in Redis, not yet marked dispatched; the job ids dedupe the resend.
      crashIfArmed(this.config, 'exit-after-enqueue');
      sent.push(...rows.map((r) => r.id));
      this.logDispatchError(null);
    } finally {
      if (sent.length > 0) await this.group.run(() => sent.forEach((id) => this.outbox.markDispatched(id)));
    }
  }

  /**
   * Puts back dispatched rows whose job cannot run any more: gone from Redis (it lost its data), or there but
   * finished without the row turning done (completed in a Redis that outlived a `db restore`; failed by BullMQ
   * itself after stalling too often). The database is the truth: Redis only says what it remembers.
   */
  async reconcile(): Promise<number> {
    await this.prune();
    let reset = 0;
    const before = Date.now() - this.config.TFTSR_OUTBOX_STALE_MS;
    const generation = this.outbox.restoreGeneration();
    for (const row of this.outbox.listDispatchedBefore(before, BATCH)) {
      if (this.stopped) break;
      try {
        // The id the relay gives the row's job now: the payload as stored, under the current restore generation.
        const contract = this.outbox.jobOf(row, generation);
        if (!contract) continue;
        const job = await this.producer.getJob(contract.name, jobIdFor(contract.name, contract.payload));
        if (!job) {
          await this.group.run(() => this.outbox.resetToPending(row.id, 'its job vanished from Redis; dispatching again'));
          reset += 1;
          continue;
        }
        const state = await job.getState();
        if (state !== 'completed' && state !== 'failed') continue;
        // Read again: the job may have committed its effect between the listing and the look into Redis.
        if (this.outbox.get(row.id)?.state !== 'dispatched') continue;
        // A job BullMQ failed on its own (stalled too often: the worker died under it each time) gets fresh
        // attempts up to TFTSR_OUTBOX_MAX_DISPATCHES; then the row and its file fail with the reason.
        if (state === 'failed' && row.dispatch_attempts >= this.config.TFTSR_OUTBOX_MAX_DISPATCHES) {
          const reason = `the job failed ${row.dispatch_attempts} times without finishing (last: ${job.failedReason ?? 'unknown'}); giving up`;
          await this.abandoned.fail(row, reason);
          this.logger.warn(`${row.job_name} job for outbox row ${row.id}: ${reason}`);
          continue;
        }
        // The same deterministic id is used again: the finished job must go first, or the add would be a no-op.
        await job.remove();
        const why =
          state === 'completed'
            ? 'completed in Redis, but its effect was never committed'
            : `failed in BullMQ (${job.failedReason ?? 'unknown'})`;
        await this.group.run(() => this.outbox.resetToPending(row.id, `its job ${why}; dispatching a fresh attempt`));
        this.logger.warn(`${row.job_name} job for outbox row ${row.id} ${why}; dispatching a fresh attempt`);
        reset += 1;
      } catch {
        return reset;
      }
    }
    if (reset > 0) {
      this.logger.warn(`${reset} job(s) had vanished from Redis or finished without their effect; re-dispatching them`);
      this.kick();
    }
    return reset;
  }

  /** Housekeeping: a lock held past the busy timeout only means the next pass prunes. */
  private async prune(): Promise<void> {
    try {
      await this.group.run(() => this.outbox.pruneDone(Date.now() - DONE_ROW_RETENTION_MS, BATCH * 5));
    } catch (err) {
      if (!isSqliteBusy(err)) this.logger.warn(`could not prune finished outbox rows: ${(err as Error).message}`);
    }
  }

  /** One line when dispatching starts failing or its reason changes, and one when it recovers: not one per pass. */
  private logDispatchError(reason: string | null): void {
    if (reason === this.lastDispatchError) return;
    if (reason === null) this.logger.log('jobs reach Redis again');
    else this.logger.error(`cannot put jobs into Redis: ${reason}; they stay in the outbox and are retried`);
    this.lastDispatchError = reason;
  }
}

/** The reason a dispatch failed, as the outbox row records it: the cause, not only "unavailable". */
export function describeDispatchError(err: unknown): string {
  const error = err as Error & { details?: { reason?: string } };
  const cause = error.details?.reason;
  return cause ? `${error.message} (${cause})` : error.message;
}
