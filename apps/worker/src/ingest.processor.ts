import { Inject, Injectable, Logger } from '@nestjs/common';
import { Job, UnrecoverableError } from 'bullmq';
import { AuditLogRepository, Db, DB, LogFile, LogFileProcessingRepository, PiiSpanRepository } from '../../../libs/db/src';
import { JobPayloads } from '../../../libs/jobs/src';
import { HasherService } from './hasher.service';
import { OutboxJobGuard, Skipped } from './outbox-job';
import { PiiScanService } from './pii-scan.service';
import { readPiiConfig } from './pii-settings';
import { QueueProcessor } from './processor';

type IngestJob<N extends 'hash' | 'detect_pii'> = Job<JobPayloads[N], unknown, N>;

/** The `ingest` queue: hashing and PII detection of uploaded log files. Both are safe to run twice. */
@Injectable()
export class IngestProcessor implements QueueProcessor {
  readonly queue = 'ingest' as const;
  readonly handlers = {
    hash: (job: IngestJob<'hash'>) => this.handleHash(job),
    detect_pii: (job: IngestJob<'detect_pii'>) => this.handleDetectPii(job),
  };
  private readonly logger = new Logger('IngestProcessor');
  private readonly guard: OutboxJobGuard;
  private readonly processing: LogFileProcessingRepository;
  private readonly spans: PiiSpanRepository;

  constructor(
    @Inject(DB) private readonly db: Db,
    private readonly audit: AuditLogRepository,
    private readonly hasher: HasherService,
    private readonly scanner: PiiScanService,
  ) {
    this.guard = new OutboxJobGuard(db);
    this.processing = new LogFileProcessingRepository(db);
    this.spans = new PiiSpanRepository(db);
  }

  async handleHash(job: IngestJob<'hash'>): Promise<{ content_hash: string; file_size: number } | Skipped> {
    const { outbox_id, log_file_id } = job.data;
    const file = this.startable(outbox_id, log_file_id);
    if ('skipped' in file) return file;
    return this.failOnLastAttempt(job, 'hash', async () => {
      this.processing.setHashState(log_file_id, 'running');
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
    return this.failOnLastAttempt(job, 'scan', async () => {
      this.processing.setScanState(log_file_id, 'running', 0);
      const config = readPiiConfig(this.db);
      const run = await this.scanner.scan(log_file_id, file.file_path, file.file_size ?? 0, config, (pct) => job.updateProgress(pct));
      const done = this.guard.finish(outbox_id, () => {
        const inserted = this.spans.replaceFromStaging(run.runId, log_file_id);
        this.processing.setScanState(log_file_id, 'done', 100, run.counts);
        this.audit.append({
          action: 'detect_pii',
          entity_type: 'log_file',
          entity_id: log_file_id,
          details: { span_count: inserted, counts_by_type: run.counts, enabled_types: config.enabledTypes },
        });
      });
      await job.updateProgress(100);
      return done === null ? { skipped: true as const, reason: 'another run finished this job' } : { spans: run.spans, counts: run.counts };
    });
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

  /** A job that will not be retried records why, so the file shows `failed` with a reason instead of hanging. */
  private async failOnLastAttempt<T>(job: Job<{ outbox_id: string; log_file_id: string }>, step: 'hash' | 'scan', work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      const last = err instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const reason = (err as Error).message;
      if (last) {
        this.guard.fail(job.data.outbox_id, reason, () => {
          this.processing.fail(job.data.log_file_id, step, reason);
          this.audit.append({ action: `${step === 'hash' ? 'hash_log_file' : 'detect_pii'}_failed`, entity_type: 'log_file', entity_id: job.data.log_file_id, details: { reason } });
        });
        this.logger.warn(`${step} of log file ${job.data.log_file_id} failed for good: ${reason}`);
      }
      throw err;
    }
  }
}
