import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import {
  AuditLogRepository,
  GroupCommit,
  newId,
  OutboxRepository,
  PiiReviewRepository,
  RedactionRequestRepository,
  SettingRepository,
  toDbTimestamp,
} from '@tftsr/db';
import { jobIdFor, JobPayloads } from '@tftsr/jobs';
import { readRedactionSettings } from '@tftsr/pii';

const SWEEP_INTERVAL_MS = 60 * 60 * 1000;
const BATCH = 100;
const DAY_MS = 24 * 60 * 60 * 1000;
/** The audit actions of the redactions the sweeper queues (a narrow type, so each stays a literal the audit spec can see). */
type SweepAction = 'request_redaction' | 'request_finalize';

/**
 * Hourly, and once at boot (issue 12):
 * - re-redacts, once, each file whose redacted copy came from a partial approval under the old model (it may
 *   show every value that was not approved): the new version redacts every span;
 * - finalizes log files `pii.finalize_after_days` after their upload (0 turns it off): a finalizing redaction,
 *   exactly as POST finalize queues it, so the final copy applies the decisions in force and the originals are
 *   wiped in the worker's transaction.
 */
@Injectable()
export class RetentionSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RetentionSweeper');
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(
    private readonly group: GroupCommit,
    private readonly audit: AuditLogRepository,
    private readonly review: PiiReviewRepository,
    private readonly requests: RedactionRequestRepository,
    private readonly outbox: OutboxRepository,
    private readonly settings: SettingRepository,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweepSafely(), SWEEP_INTERVAL_MS);
    this.timer.unref();
    void this.sweepSafely();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.sweeping;
  }

  /** Queues the redactions due; returns how many. */
  async sweep(now = new Date()): Promise<number> {
    let queued = 0;
    for (const logFileId of this.review.legacyPartial(BATCH)) {
      await this.queue(logFileId, 0, now, 'request_redaction', { reason: 'legacy_partial_approval' });
      queued++;
    }
    const { finalizeAfterDays } = readRedactionSettings(this.settings);
    if (finalizeAfterDays === 0) return queued;
    const cutoff = toDbTimestamp(new Date(now.getTime() - finalizeAfterDays * DAY_MS));
    for (const logFileId of this.review.dueForFinalizing(cutoff, BATCH)) {
      await this.queue(logFileId, 1, now, 'request_finalize', { reason: 'retention', finalize_after_days: finalizeAfterDays });
      queued++;
    }
    return queued;
  }

  private async queue(
    logFileId: string,
    finalize: number,
    now: Date,
    action: SweepAction,
    details: Record<string, unknown>,
  ): Promise<void> {
    await this.group.run(() => {
      const id = newId();
      this.requests.insert({
        id,
        log_file_id: logFileId,
        span_ids: null,
        requested_by: finalize ? 'retention' : 'system',
        state: 'pending',
        failure_reason: null,
        created_at: toDbTimestamp(now),
        finished_at: null,
        finalize,
      });
      const payload = (outbox_id: string) => ({ outbox_id, log_file_id: logFileId, redaction_request_id: id });
      const job = this.outbox.add('redact', payload);
      this.audit.append({
        action,
        entity_type: 'log_file',
        entity_id: logFileId,
        user_id: finalize ? 'retention' : 'system',
        details: { request_id: id, ...details, job: jobIdFor('redact', JSON.parse(job.payload) as JobPayloads['redact']) },
      });
    });
  }

  /** One sweep at a time: one still waiting for its commits when the timer fires again is not doubled. */
  private sweepSafely(): Promise<void> {
    this.sweeping ??= this.sweep()
      .then((queued) => {
        if (queued > 0) this.logger.log(`queued ${queued} redaction(s): legacy partial approvals and files past their retention`);
      })
      .catch((err: unknown) => this.logger.warn(`retention sweep failed: ${(err as Error).message}`))
      .finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }
}
