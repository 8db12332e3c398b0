import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { DelayedError, Job, UnrecoverableError } from 'bullmq';
import pLimit from 'p-limit';
import {
  AuditLogRepository,
  Commit,
  Db,
  DB,
  GroupCommit,
  LogFile,
  LogFileIngestRepository,
  LogFileProcessingRepository,
  OutboxRepository,
  PiiReviewRepository,
  PiiSpanRepository,
  RedactionRequestRepository,
  processingStatus,
  SettingRepository,
  WebhookRepository,
} from '@tftsr/db';
import { crashIfArmed } from '@tftsr/config';
import { isLastAttempt, JobPayloads, workIdFor } from '@tftsr/jobs';
import { readPiiConfig } from '@tftsr/pii';
import { BlobUnreadableError, withoutServerPaths } from '@tftsr/storage';
import { WorkerConfig } from './config/worker.config';
import { WorkerMetrics } from './metrics/worker-metrics';
import { OutboxJobGuard, Skipped } from './outbox-job';
import { PiiScanService, ScanRun, ScanSuperseded } from './pii-scan.service';
import { QueueProcessor } from './processor';
import { RedactionVersionWriter } from './redaction-version.writer';
import { RedactorService } from './redactor.service';

type IngestJobName = 'hash' | 'detect_pii' | 'redact';
/**
 * Below this size a file is hashed and scanned in well under a second: intermediate states and progress would
 * cost a commit (an fsync) each and nobody would see them, so the file goes from pending to ready. From this size
 * on, a file's jobs also count against TFTSR_WORKER_CONCURRENCY (its scan has a thread and buffers of its own).
 */
const LARGE_FROM_BYTES = 8 * 1024 * 1024;
const isLarge = (file: LogFile) => (file.file_size ?? 0) >= LARGE_FROM_BYTES;
const showsProgress = isLarge;
/**
 * How long a hash job waits for the scan that hashes its file before it looks again: about the scan's own time
 * (at a slow 20 MB/s), and at least as long as it has waited already, between 1 s and a minute. Each look costs
 * a job run (Redis round trips and a database read): behind a backlog of scans, a fixed second made every queued
 * file's hash job run once a second until its scan came; growing with the wait, it runs a handful of times.
 */
export function hashDeferralMs(fileSize: number, waitedMs: number): number {
  // A job without its creation time (a hand-made one) has waited for all we know not at all.
  const waited = Number.isFinite(waitedMs) ? waitedMs : 0;
  return Math.min(60_000, Math.max(1000, Math.round(fileSize / 20_000), waited));
}

type IngestJob<N extends IngestJobName> = Job<JobPayloads[N], unknown, N>;

export type { RedactResult };
import type { RedactResult } from './redaction-version.writer';

/** A redaction whose decisions keep changing under it is retried later instead of looping. */
const MAX_STALE_RUNS = 3;

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
  /** Role `all`: jobs on large files at once; small ones do not wait for it (see `sized`). */
  private readonly largeFiles: ReturnType<typeof pLimit> | undefined;

  constructor(
    @Inject(DB) private readonly db: Db,
    private readonly audit: AuditLogRepository,
    private readonly scanner: PiiScanService,
    private readonly redactor: RedactorService,
    private readonly guard: OutboxJobGuard,
    private readonly versions: RedactionVersionWriter,
    private readonly files: LogFileIngestRepository,
    private readonly processing: LogFileProcessingRepository,
    private readonly spans: PiiSpanRepository,
    private readonly requests: RedactionRequestRepository,
    private readonly webhooks: WebhookRepository,
    private readonly outbox: OutboxRepository,
    private readonly review: PiiReviewRepository,
    private readonly settings: SettingRepository,
    private readonly group: GroupCommit,
    @Optional() private readonly metrics?: WorkerMetrics,
    @Optional() private readonly config?: WorkerConfig,
  ) {
    // A writer's scans run on scanners (issue 19), which bound them; here they run on this host's cores.
    if (config?.TFTSR_WORKER_ROLE !== 'writer') this.largeFiles = pLimit(config?.TFTSR_WORKER_CONCURRENCY ?? 2);
  }

  /**
   * The file's detect_pii job reads it once for both (issue 17): while that job is open, this one waits for it
   * (delayed in BullMQ, holding no worker slot) and normally finds itself done by the scan's finishing
   * transaction. It reads the file itself only when there is no scan to wait for (it failed for good, say).
   */
  async handleHash(job: IngestJob<'hash'>): Promise<{ content_hash: string; file_size: number } | Skipped> {
    const { outbox_id, log_file_id } = job.data;
    const file = await this.startable(outbox_id, log_file_id);
    if ('skipped' in file) return file;
    if (this.outbox.findOpenForLogFile('detect_pii', log_file_id) !== undefined) {
      await job.moveToDelayed(Date.now() + hashDeferralMs(file.file_size ?? 0, Date.now() - job.timestamp), job.token);
      throw new DelayedError('waiting for the scan of the file, which hashes it in the same read');
    }
    return this.failOnLastAttempt(
      job,
      (reason) => this.stepFailed(log_file_id, 'hash', reason),
      () =>
        this.sized(file, async () => {
          if (showsProgress(file)) await this.group.run(() => this.processing.setHashState(log_file_id, 'running'));
          const workId = workIdFor(job.data);
          const { sha256, size } = await this.scanner.hash(file.file_path, file.file_size ?? 0, { workId, logFileId: log_file_id });
          const done = await this.guard.finish(outbox_id, () => {
            this.recordHash(log_file_id, sha256, size);
            this.emitIfReady(log_file_id, file.issue_id);
          });
          this.scanner.release(workId);
          return done === null
            ? { skipped: true as const, reason: 'another run finished this job' }
            : { content_hash: sha256, file_size: size };
        }),
    );
  }

  async handleDetectPii(job: IngestJob<'detect_pii'>): Promise<{ spans: number; counts: Record<string, number> } | Skipped> {
    const { outbox_id, log_file_id } = job.data;
    const file = await this.startable(outbox_id, log_file_id);
    if ('skipped' in file) return file;
    return this.failOnLastAttempt(
      job,
      (reason) => this.stepFailed(log_file_id, 'scan', reason),
      () =>
        this.sized(file, async () => {
          const workId = workIdFor(job.data);
          const scanned = await this.announced(file, (commit) => this.scanAndFinish(job, file, workId, commit));
          // Committed, or another run did: a scanner's order and result are no longer needed (role writer).
          this.scanner.release(workId);
          if ('skipped' in scanned) return scanned;
          await job.updateProgress(100);
          // The review index is derived data: if building it fails here, the API builds it on first use.
          await this.announced(file, (commit) => this.redactor.index(this.db, log_file_id, file.file_path, commit, scanned.content)).catch(
            (err: Error) => this.logger.warn(`review index of log file ${log_file_id} not built: ${err.message}`),
          );
          this.metrics?.piiSpansStored(scanned.counts);
          return { spans: scanned.spans, counts: scanned.counts };
        }),
    );
  }

  /** One read of the file (hash and spans), then the finishing transaction that publishes the spans. */
  private async scanAndFinish(job: IngestJob<'detect_pii'>, file: LogFile, workId: string, commit: Commit): Promise<ScanRun | Skipped> {
    const { outbox_id, log_file_id } = job.data;
    if (this.config) crashIfArmed(this.config, 'exit-at-scan-start');
    if (showsProgress(file)) await this.group.run(() => this.processing.setScanState(log_file_id, 'running', 0));
    const config = readPiiConfig(this.settings);
    let run: ScanRun;
    try {
      run = await this.scanner.scan(
        log_file_id,
        file.file_path,
        file.file_size ?? 0,
        config,
        showsProgress(file),
        (pct) => job.updateProgress(pct),
        () => this.guard.isDone(outbox_id),
        workId,
      );
    } catch (err) {
      // A duplicate run (a stalled lock) that another run beat to the finish: not a failure of the file.
      if (err instanceof ScanSuperseded) return { skipped: true, reason: err.message };
      throw err;
    }
    let done: true | null = null;
    try {
      done = await this.guard.finishIn(commit, outbox_id, () => {
        // Throws (and commits nothing) if a sweep (a worker starting) took spans this run wrote: never a partial set.
        const inserted = this.spans.publishRun(run.runId, log_file_id, run.tail, run.spans, run.begun);
        this.review.clearIndex(log_file_id);
        this.processing.setScanState(log_file_id, 'done', 100, run.counts);
        this.finishHashFromScan(log_file_id, run.sha256, run.size);
        this.emitIfReady(log_file_id, file.issue_id);
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
      // Lost the race, or failed to finish: what this run wrote goes now, not at the next start.
      if (done === null && run.begun) await this.scanner.discard(run.runId, log_file_id);
    }
    return done === null ? { skipped: true, reason: 'another run finished this job' } : run;
  }

  /**
   * Writes a new redacted version from the decisions in force: every span is hidden except those a reviewer
   * kept (issue 12). Then in one transaction: the version row replaces the previous one, redacted = 1, the
   * request done, the audit entry, the outbox row done and, for a finalizing request, the originals wiped. The
   * previous version's blob is removed once that committed. A run that loses the race removes its own copy, so
   * a job run twice leaves one blob and one effect. Decisions that change while the copy is written make the
   * run start over: a version never claims decisions it did not apply.
   */
  async handleRedact(job: IngestJob<'redact'>): Promise<RedactResult | Skipped> {
    const { outbox_id, log_file_id, redaction_request_id } = job.data;
    const file = await this.startable(outbox_id, log_file_id);
    if ('skipped' in file) return file;
    const request = this.requests.get(redaction_request_id);
    if (request?.state !== 'pending') {
      await this.guard.finish(outbox_id, () => undefined);
      return { skipped: true, reason: 'the redaction request is no longer pending' };
    }
    const giveUp = (reason: string) => {
      this.requests.markFailed(request.id, reason);
      this.audit.append({
        action: 'apply_redactions_failed',
        entity_type: 'log_file',
        entity_id: log_file_id,
        user_id: request.requested_by,
        details: { request_id: request.id, reason },
      });
    };
    return this.failOnLastAttempt(job, giveUp, () =>
      this.sized(file, async () => {
        if (this.review.find(log_file_id)?.finalized_at)
          throw new UnrecoverableError('the log file is finalized: its redacted copy can no longer change');
        for (let attempt = 1; ; attempt++) {
          const outcome = await this.versions.write(file, request, job.data);
          if (outcome !== 'stale') return outcome;
          if (attempt >= MAX_STALE_RUNS) throw new Error('the decisions kept changing while the redacted copy was written; retrying later');
        }
      }),
    );
  }

  /**
   * The hash job's effect, from the scan's read of the same bytes: its outbox row done, the hash recorded and
   * audited, all in the scan's finishing transaction. Nothing when the hash job already finished (or failed).
   */
  private finishHashFromScan(logFileId: string, sha256: string, size: number): void {
    const hashJob = this.outbox.findOpenForLogFile('hash', logFileId);
    if (hashJob === undefined || !this.outbox.markDone(hashJob)) return;
    this.recordHash(logFileId, sha256, size);
  }

  private recordHash(logFileId: string, sha256: string, size: number): void {
    this.files.recordHash(logFileId, sha256, size);
    this.processing.setHashState(logFileId, 'done');
    this.audit.append({
      action: 'hash_log_file',
      entity_type: 'log_file',
      entity_id: logFileId,
      details: { content_hash: sha256, file_size: size },
    });
  }

  /**
   * A decision made before there were spans to apply it to (an applied redaction the desktop app recorded, carried
   * over by `tftsr import desktop`) gets its redact job once the spans exist, in the transaction that stores them.
   */
  private startWaitingRedaction(logFileId: string): void {
    const waiting = this.requests.findPending(logFileId);
    if (!waiting || this.outbox.hasJobFor('redact', 'redaction_request_id', waiting.id)) return;
    this.outbox.add('redact', (outbox_id) => ({ outbox_id, log_file_id: logFileId, redaction_request_id: waiting.id }));
  }

  /** Through the group commit: what is ready together shares one transaction and one fsync, made off the event loop. */
  private readonly commit: Commit = (work) => this.group.run(work);

  /**
   * `work` on a small file commits within milliseconds: the group commit waits for it (at most its window) until
   * its first commit, so that the many small files' jobs in flight share commits instead of each making its own.
   */
  private announced<T>(file: LogFile, work: (commit: Commit) => Promise<T>): Promise<T> {
    return isLarge(file) ? work(this.commit) : this.group.announced(work);
  }

  /**
   * Runs a job's work at once for a small file, and for a large one when one of TFTSR_WORKER_CONCURRENCY slots is
   * free: the queue runs many jobs at once so small files share commits, but large scans each take a core.
   */
  private sized<T>(file: LogFile, work: () => Promise<T>): Promise<T> {
    return this.largeFiles && isLarge(file) ? this.largeFiles(work) : work();
  }

  /** The file to work on, or why there is nothing to do (already done, or the file was deleted since). */
  private async startable(outboxId: string, logFileId: string): Promise<LogFile | Skipped> {
    if (this.guard.isDone(outboxId)) return { skipped: true, reason: 'already done' };
    const file = this.files.get(logFileId);
    if (!file) {
      await this.guard.finish(outboxId, () => undefined);
      return { skipped: true, reason: 'the log file no longer exists' };
    }
    return file;
  }

  /** A job that will not be retried records why (`giveUp`, in the transaction that fails its outbox row). */
  private async failOnLastAttempt<T>(
    job: Job<{ outbox_id: string; log_file_id: string }>,
    giveUp: (reason: string) => void,
    work: () => Promise<T>,
  ): Promise<T> {
    try {
      return await work();
    } catch (err) {
      // A stored file that is missing never comes back by retrying: it is renamed into place before its row commits.
      const missing = err instanceof BlobUnreadableError && err.code === 'ENOENT';
      const last = missing || isLastAttempt(job, err);
      // Clients read the reason (GET /v1/log-files/:id): never the server's absolute paths.
      const reason = withoutServerPaths((err as Error).message);
      if (last) {
        await this.guard.fail(job.data.outbox_id, reason, () => giveUp(reason));
        this.logger.warn(`${job.name} of log file ${job.data.log_file_id} failed for good: ${reason}`);
      }
      throw missing ? new UnrecoverableError(reason) : err;
    }
  }

  /** `file.ready` once both steps are done, from whichever finishes last (inside its transaction). */
  private emitIfReady(logFileId: string, issueId: string): void {
    const row = this.processing.get(logFileId);
    if (row && processingStatus(row) === 'ready') this.webhooks.emit('file.ready', { log_file_id: logFileId, issue_id: issueId });
  }

  /** The file shows `failed` with a reason instead of hanging. */
  private stepFailed(logFileId: string, step: 'hash' | 'scan', reason: string): void {
    this.processing.fail(logFileId, step, reason);
    this.webhooks.emit('file.failed', { log_file_id: logFileId, step });
    // A decision still waiting for spans (startWaitingRedaction) will never get them: it fails too, and stops blocking new ones.
    const waiting = step === 'scan' ? this.requests.findPending(logFileId) : undefined;
    if (waiting && !this.outbox.hasJobFor('redact', 'redaction_request_id', waiting.id))
      this.requests.markFailed(waiting.id, `PII detection failed: ${reason}`);
    this.audit.append({
      action: `${step === 'hash' ? 'hash_log_file' : 'detect_pii'}_failed`,
      entity_type: 'log_file',
      entity_id: logFileId,
      details: { reason },
    });
  }
}
