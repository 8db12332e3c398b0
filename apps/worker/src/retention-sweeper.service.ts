import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AuditLogRepository, Db, DB, newId, OutboxRepository, PiiReviewRepository, RedactionRequestRepository, toDbTimestamp, transaction } from '../../../libs/db/src';
import { jobIdFor } from '../../../libs/jobs/src';
import { readRedactionSettings } from './pii-settings';

const SWEEP_INTERVAL_MS = 60 * 60 * 1000;
const BATCH = 100;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Finalizes log files `pii.finalize_after_days` after their upload (issue 12): it queues a finalizing redaction
 * for each, exactly as POST finalize does, so the final copy applies the decisions in force and the originals
 * are wiped in the worker's transaction. Hourly, and once at boot; 0 days turns it off.
 */
@Injectable()
export class RetentionSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RetentionSweeper');
  private readonly review: PiiReviewRepository;
  private readonly requests: RedactionRequestRepository;
  private readonly outbox: OutboxRepository;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    @Inject(DB) private readonly db: Db,
    private readonly audit: AuditLogRepository,
  ) {
    this.review = new PiiReviewRepository(db);
    this.requests = new RedactionRequestRepository(db);
    this.outbox = new OutboxRepository(db);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.sweepSafely(), SWEEP_INTERVAL_MS);
    this.timer.unref();
    this.sweepSafely();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Queues a finalizing redaction for each file past its retention; returns how many. */
  sweep(now = new Date()): number {
    const { finalizeAfterDays } = readRedactionSettings(this.db);
    if (finalizeAfterDays === 0) return 0;
    const cutoff = toDbTimestamp(new Date(now.getTime() - finalizeAfterDays * DAY_MS));
    let queued = 0;
    for (const logFileId of this.review.dueForFinalizing(cutoff, BATCH)) {
      transaction(this.db, () => {
        const id = newId();
        this.requests.insert({ id, log_file_id: logFileId, span_ids: null, requested_by: 'retention', state: 'pending', failure_reason: null, created_at: toDbTimestamp(now), finished_at: null, finalize: 1 });
        const payload = (outbox_id: string) => ({ outbox_id, log_file_id: logFileId, redaction_request_id: id });
        const job = this.outbox.add('ingest', 'redact', payload);
        this.audit.append({
          action: 'request_finalize',
          entity_type: 'log_file',
          entity_id: logFileId,
          user_id: 'retention',
          details: { request_id: id, reason: 'retention', finalize_after_days: finalizeAfterDays, job: jobIdFor('redact', payload(job.id)) },
        });
      });
      queued++;
    }
    return queued;
  }

  private sweepSafely(): void {
    try {
      const queued = this.sweep();
      if (queued > 0) this.logger.log(`queued ${queued} log file(s) for finalizing (retention)`);
    } catch (err) {
      this.logger.warn(`retention sweep failed: ${(err as Error).message}`);
    }
  }
}
