import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import {
  AuditLogRepository,
  Db,
  DB,
  LogFile,
  LogFileProcessingRepository,
  LogFileRedactionRepository,
  OutboxRepository,
  PiiSpanRepository,
  RedactableSummary,
  RedactionRequest,
  RedactionRequestRepository,
  toDbTimestamp,
} from '../../../libs/db/src';
import { crashIfArmed } from '../../../libs/config/src';
import { JobPayloads } from '../../../libs/jobs/src';
import { BlobIntegrityError, BlobUnreadableError, withoutServerPaths } from '../../../libs/storage/src';
import { WorkerConfig } from './config/worker.config';
import { HasherService } from './hasher.service';
import { WorkerMetrics } from './metrics/worker-metrics';
import { OutboxJobGuard, Skipped } from './outbox-job';
import { PiiScanService, ScanRun, ScanSuperseded } from './pii-scan.service';
import { readPiiConfig } from './pii-settings';
import { QueueProcessor } from './processor';
import { RedactedBlob, RedactorService, SpansDoNotFitError } from './redactor.service';

type IngestJobName = 'hash' | 'detect_pii' | 'redact';
/**
 * Below this size a file is hashed and scanned in well under a second: intermediate states and progress would
 * cost a commit (an fsync) each and nobody would see them, so the file goes from pending to ready.
 */
const PROGRESS_FROM_BYTES = 8 * 1024 * 1024;
const showsProgress = (file: LogFile) => (file.file_size ?? 0) >= PROGRESS_FROM_BYTES;

type IngestJob<N extends IngestJobName> = Job<JobPayloads[N], unknown, N>;

export interface RedactResult {
  redacted_sha256: string;
  span_count: number;
}

/** The `ingest` queue: hashing, PII detection and redaction of uploaded log files. All are safe to run twice. */
@Injectable()
export class IngestProcessor implements QueueProcessor {
  readonly queue = 'ingest' as const;
  readonly handlers = {
    hash: (job: IngestJob<'hash'>) => this.handleHash(job),
    detect_pii: (job: IngestJob<'detect_pii'>) => this.handleDetectPii(job),
    redact: (job: IngestJob<'redact'>) => this.handleRedact(job),
  };
  private readonly logger = new Logger('IngestProcessor');
  private readonly guard: OutboxJobGuard;
  private readonly processing: LogFileProcessingRepository;
  private readonly spans: PiiSpanRepository;
  private readonly requests: RedactionRequestRepository;
  private readonly redactions: LogFileRedactionRepository;
  private readonly outbox: OutboxRepository;

  constructor(
    @Inject(DB) private readonly db: Db,
    private readonly audit: AuditLogRepository,
    private readonly hasher: HasherService,
    private readonly scanner: PiiScanService,
    private readonly redactor: RedactorService,
    @Optional() private readonly metrics?: WorkerMetrics,
    @Optional() private readonly config?: WorkerConfig,
  ) {
    this.guard = new OutboxJobGuard(db);
    this.processing = new LogFileProcessingRepository(db);
    this.spans = new PiiSpanRepository(db);
    this.requests = new RedactionRequestRepository(db);
    this.redactions = new LogFileRedactionRepository(db);
    this.outbox = new OutboxRepository(db);
  }

  async handleHash(job: IngestJob<'hash'>): Promise<{ content_hash: string; file_size: number } | Skipped> {
    const { outbox_id, log_file_id } = job.data;
    const file = this.startable(outbox_id, log_file_id);
    if ('skipped' in file) return file;
    return this.failOnLastAttempt(job, (reason) => this.stepFailed(log_file_id, 'hash', reason), async () => {
      if (showsProgress(file)) this.processing.setHashState(log_file_id, 'running');
      const { sha256, size } = await this.hasher.hashBlob(file.file_path);
      const done = this.guard.finish(outbox_id, () => {
        this.db.prepare('UPDATE log_files SET content_hash = ?, file_size = ? WHERE id = ?').run(sha256, size, log_file_id);
        this.processing.setHashState(log_file_id, 'done');
        this.audit.append({ action: 'hash_log_file', entity_type: 'log_file', entity_id: log_file_id, details: { content_hash: sha256, file_size: size } });
      });
      return done === null ? { skipped: true as const, reason: 'another run finished this job' } : { content_hash: sha256, file_size: size };
    });
  }

  async handleDetectPii(job: IngestJob<'detect_pii'>): Promise<{ spans: number; counts: Record<string, number> } | Skipped> {
    const { outbox_id, log_file_id } = job.data;
    const file = this.startable(outbox_id, log_file_id);
    if ('skipped' in file) return file;
    return this.failOnLastAttempt(job, (reason) => this.stepFailed(log_file_id, 'scan', reason), async () => {
      if (this.config) crashIfArmed(this.config, 'exit-at-scan-start');
      if (showsProgress(file)) this.processing.setScanState(log_file_id, 'running', 0);
      const config = readPiiConfig(this.db);
      let run: ScanRun;
      try {
        run = await this.scanner.scan(log_file_id, file.file_path, file.file_size ?? 0, config, showsProgress(file), (pct) => job.updateProgress(pct), () => this.guard.isDone(outbox_id));
      } catch (err) {
        // A duplicate run (a stalled lock) that another run beat to the finish: not a failure of the file.
        if (err instanceof ScanSuperseded) return { skipped: true as const, reason: err.message };
        throw err;
      }
      let done: true | null = null;
      try {
        done = this.guard.finish(outbox_id, () => {
          // A sweep (a worker starting) may have taken spans staged under a live scan: never swap in a partial set.
          const staged = this.spans.countStaged(run.runId);
          if (staged + run.tail.length !== run.spans) throw new Error(`${run.spans - run.tail.length - staged} staged span(s) of this scan were swept; scanning again`);
          this.spans.stage(run.runId, log_file_id, run.tail);
          const inserted = this.spans.replaceFromStaging(run.runId, log_file_id);
          this.processing.setScanState(log_file_id, 'done', 100, run.counts);
          this.audit.append({
            action: 'detect_pii',
            entity_type: 'log_file',
            entity_id: log_file_id,
            details: { span_count: inserted, counts_by_type: run.counts, enabled_types: config.enabledTypes },
          });
          this.startWaitingRedaction(log_file_id);
          return true as const;
        });
      } finally {
        // Lost the race, or failed to finish: what this run staged goes now, not at the next start.
        if (done === null) this.scanner.discard(run.runId);
      }
      await job.updateProgress(100);
      if (done === null) return { skipped: true as const, reason: 'another run finished this job' };
      this.metrics?.piiSpansStored(run.counts);
      return { spans: run.spans, counts: run.counts };
    });
  }

  /**
   * Writes the redacted copy, then in one transaction: the redaction row, redacted = 1, every original value of
   * the file wiped, the request done, the audit entry and the outbox row done. A run that loses the race to
   * commit removes its copy, so a job run twice leaves one blob and one effect.
   */
  async handleRedact(job: IngestJob<'redact'>): Promise<RedactResult | Skipped> {
    const { outbox_id, log_file_id, redaction_request_id } = job.data;
    const file = this.startable(outbox_id, log_file_id);
    if ('skipped' in file) return file;
    const request = this.requests.get(redaction_request_id);
    if (request?.state !== 'pending') {
      this.guard.finish(outbox_id, () => undefined);
      return { skipped: true, reason: 'the redaction request is no longer pending' };
    }
    const giveUp = (reason: string) => {
      this.requests.markFailed(request.id, reason);
      this.audit.append({ action: 'apply_redactions_failed', entity_type: 'log_file', entity_id: log_file_id, user_id: request.requested_by, details: { request_id: request.id, reason } });
    };
    return this.failOnLastAttempt(job, giveUp, async () => {
      const ids = request.span_ids === null ? null : (JSON.parse(request.span_ids) as string[]);
      const approved = this.spans.summariseRedactable(log_file_id, ids);
      if (ids !== null && approved.count !== ids.length) throw new UnrecoverableError('some approved spans no longer exist: the file was scanned again since the approval');
      const spans = this.spans.iterateRedactable(log_file_id, ids);
      const blob = await this.redactor.redact(file.file_path, spans, { sha256: file.content_hash, spansEndAt: approved.maxEnd }).catch((err: Error) => {
        throw err instanceof BlobIntegrityError || err instanceof SpansDoNotFitError ? new UnrecoverableError(err.message) : err;
      });
      let applied: boolean | null = null;
      try {
        applied = this.guard.finish(outbox_id, () => this.applyRedaction(request, blob, approved));
      } finally {
        if (applied !== true) await this.redactor.discard(blob.path);
      }
      return applied ? { redacted_sha256: blob.redactedSha256, span_count: approved.count } : { skipped: true as const, reason: 'another run finished this job' };
    });
  }

  /** The effect of a redaction, inside the finishing transaction; false when the request stopped being pending. */
  private applyRedaction(request: RedactionRequest, blob: RedactedBlob, approved: RedactableSummary): boolean {
    if (!this.requests.markDone(request.id)) return false;
    const logFileId = request.log_file_id;
    this.redactions.insert({
      log_file_id: logFileId,
      request_id: request.id,
      redacted_path: blob.path,
      redacted_size: blob.size,
      original_sha256: blob.originalSha256,
      redacted_sha256: blob.redactedSha256,
      span_count: approved.count,
      counts_by_type: JSON.stringify(approved.countsByType),
      created_at: toDbTimestamp(),
    });
    this.db.prepare('UPDATE log_files SET redacted = 1 WHERE id = ?').run(logFileId);
    const wiped = this.spans.wipeOriginals(logFileId);
    this.audit.append({
      action: 'apply_redactions',
      entity_type: 'log_file',
      entity_id: logFileId,
      user_id: request.requested_by,
      details: {
        request_id: request.id,
        original_sha256: blob.originalSha256,
        redacted_sha256: blob.redactedSha256,
        redacted_size: blob.size,
        span_count: approved.count,
        counts_by_type: approved.countsByType,
        wiped_values: wiped,
      },
    });
    return true;
  }

  /**
   * A decision made before there were spans to apply it to (an applied redaction the desktop app recorded, carried
   * over by `tftsr import desktop`) gets its redact job once the spans exist, in the transaction that stores them.
   */
  private startWaitingRedaction(logFileId: string): void {
    const waiting = this.requests.findPending(logFileId);
    if (!waiting || this.outbox.hasJobFor('redact', 'redaction_request_id', waiting.id)) return;
    this.outbox.add('ingest', 'redact', (outbox_id) => ({ outbox_id, log_file_id: logFileId, redaction_request_id: waiting.id }));
  }

  /** The file to work on, or why there is nothing to do (already done, or the file was deleted since). */
  private startable(outboxId: string, logFileId: string): LogFile | Skipped {
    if (this.guard.isDone(outboxId)) return { skipped: true, reason: 'already done' };
    const file = this.db.prepare('SELECT * FROM log_files WHERE id = ?').get(logFileId) as LogFile | undefined;
    if (!file) {
      this.guard.finish(outboxId, () => undefined);
      return { skipped: true, reason: 'the log file no longer exists' };
    }
    return file;
  }

  /** A job that will not be retried records why (`giveUp`, in the transaction that fails its outbox row). */
  private async failOnLastAttempt<T>(job: Job<{ outbox_id: string; log_file_id: string }>, giveUp: (reason: string) => void, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      // A stored file that is missing never comes back by retrying: it is renamed into place before its row commits.
      const missing = err instanceof BlobUnreadableError && err.code === 'ENOENT';
      const last = err instanceof UnrecoverableError || missing || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      // Clients read the reason (GET /v1/log-files/:id): never the server's absolute paths.
      const reason = withoutServerPaths((err as Error).message);
      if (last) {
        this.guard.fail(job.data.outbox_id, reason, () => giveUp(reason));
        this.logger.warn(`${job.name} of log file ${job.data.log_file_id} failed for good: ${reason}`);
      }
      throw missing ? new UnrecoverableError(reason) : err;
    }
  }

  /** The file shows `failed` with a reason instead of hanging. */
  private stepFailed(logFileId: string, step: 'hash' | 'scan', reason: string): void {
    this.processing.fail(logFileId, step, reason);
    // A decision still waiting for spans (startWaitingRedaction) will never get them: it fails too, and stops blocking new ones.
    const waiting = step === 'scan' ? this.requests.findPending(logFileId) : undefined;
    if (waiting && !this.outbox.hasJobFor('redact', 'redaction_request_id', waiting.id)) this.requests.markFailed(waiting.id, `PII detection failed: ${reason}`);
    this.audit.append({ action: `${step === 'hash' ? 'hash_log_file' : 'detect_pii'}_failed`, entity_type: 'log_file', entity_id: logFileId, details: { reason } });
  }
}
