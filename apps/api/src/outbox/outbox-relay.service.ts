import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { crashIfArmed, warnIfFaultArmed } from '../../../../libs/config/src';
import { Db, DB, OutboxRepository, OutboxRow, transaction, withShortBusyTimeout } from '../../../../libs/db/src';
import { isJobName, jobIdFor, JobName, JobPayloads } from '../../../../libs/jobs/src';
import { ApiConfig } from '../config/api.config';
import { JobProducer } from '../queue/job-producer.service';

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
  private readonly outbox: OutboxRepository;
  private timers: NodeJS.Timeout[] = [];
  private relaying: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(
    @Inject(DB) private readonly db: Db,
    private readonly producer: JobProducer,
    private readonly config: ApiConfig,
  ) {
    this.outbox = new OutboxRepository(db);
  }

  onApplicationBootstrap(): void {
    warnIfFaultArmed(this.config, this.logger);
    this.timers = [
      setInterval(() => this.kick(), this.config.TFTSR_OUTBOX_RELAY_INTERVAL_MS),
      setInterval(() => void this.reconcile(), this.config.TFTSR_OUTBOX_RECONCILE_INTERVAL_MS),
    ];
    this.kick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.timers.forEach(clearInterval);
    await this.relaying;
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
   * Dispatches due rows; stops at the first failure, since Redis is then most likely down for all of them.
   * The rows sent are marked in one transaction at the end: one commit per pass, not one per job. A crash
   * before it only means they are sent again, which their job ids make harmless.
   */
  async relay(): Promise<void> {
    const sent: string[] = [];
    try {
      for (const row of this.outbox.listDue(Date.now(), BATCH)) {
        try {
          await this.dispatch(row);
          // Test-only crash point (fault suite): in Redis, not yet marked dispatched; the job id dedupes the resend.
          crashIfArmed(this.config, 'exit-after-enqueue');
          sent.push(row.id);
        } catch (err) {
          const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(row.dispatch_attempts, 10));
          this.outbox.postpone(row.id, Date.now() + delay, (err as Error).message);
          return;
        }
      }
    } finally {
      if (sent.length > 0) transaction(this.db, () => sent.forEach((id) => this.outbox.markDispatched(id)));
    }
  }

  /** Finds dispatched rows whose BullMQ job is gone (Redis lost its data) and puts them back to pending. */
  async reconcile(): Promise<number> {
    this.prune();
    let reset = 0;
    const before = Date.now() - this.config.TFTSR_OUTBOX_STALE_MS;
    for (const row of this.outbox.listDispatchedBefore(before, BATCH)) {
      if (!isJobName(row.job_name)) continue;
      try {
        const job = await this.producer.getJob(row.job_name, this.jobId(row));
        if (!job) {
          this.outbox.resetToPending(row.id, 'its job vanished from Redis; dispatching again');
          reset += 1;
        }
      } catch {
        return reset;
      }
    }
    if (reset > 0) {
      this.logger.warn(`${reset} job(s) had vanished from Redis; re-dispatching them`);
      this.kick();
    }
    return reset;
  }

  /**
   * Housekeeping in a write transaction of its own (a deferred DELETE can fail with BUSY at once), waiting at most
   * 50 ms for the lock: better-sqlite3 blocks the event loop while it waits, and this can always wait for the next pass.
   */
  private prune(): void {
    try {
      withShortBusyTimeout(this.db, 50, () => transaction(this.db, () => this.outbox.pruneDone(Date.now() - DONE_ROW_RETENTION_MS, BATCH * 5)));
    } catch (err) {
      if (!/^SQLITE_BUSY/.test((err as { code?: string }).code ?? '')) this.logger.warn(`could not prune finished outbox rows: ${(err as Error).message}`);
    }
  }

  private async dispatch(row: OutboxRow): Promise<void> {
    if (!isJobName(row.job_name)) {
      this.outbox.markFailed(row.id, `unknown job name ${row.job_name}`);
      return;
    }
    const name: JobName = row.job_name;
    await this.producer.enqueue(name, JSON.parse(row.payload) as JobPayloads[typeof name]);
  }

  private jobId(row: OutboxRow): string {
    const name = row.job_name as JobName;
    return jobIdFor(name, JSON.parse(row.payload) as JobPayloads[typeof name]);
  }
}
