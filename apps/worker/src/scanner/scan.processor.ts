import type { Job } from 'bullmq';
import { UnrecoverableError } from 'bullmq';
import type { ScanJobPayloads } from '@tftsr/jobs';
import { BlobIntegrityError, BlobUnreadableError, STORED_PATH } from '@tftsr/storage';
import type { S3BlobStore } from '@tftsr/storage';
import type { RedactionSpan } from '@tftsr/pii';
import type { Skipped } from '../outbox-job';
import type { ScanThreads } from '../scan-pass';
import { passStored } from '../scan-pass';
import type { RedactedBlob } from '../redact-blob';
import { redactToBlob, SpansDoNotFitError } from '../redact-blob';
import type { RedactPlanHeader, RedactProblemKind } from './redact-work';
import { readRedactPlan, writeRedactResult } from './redact-work';
import type { ScanOrder } from './scan-work';
import { readOrder, ResultWriter, resultPath, WorkKeyMismatch, WorkObjectGone } from './scan-work';

const WORK_ID = /^[A-Za-z0-9_-]{1,200}$/;
/** Progress goes to Redis (the writer shows it) every this many bytes read, at most. */
const PROGRESS_EVERY_BYTES = 1024 * 1024;

/**
 * The scanner's one job (TFTSR_WORKER_ROLE=scanner, queue `scan`, issue 19): read the sealed order, make the pass
 * (decrypt, SHA-256, the PII engine; on a thread for large files) and stream what it found into the sealed
 * result. It touches no database: the writer commits the result. Safe to run twice: a result already stored
 * ends the job, and a run killed mid-scan stored nothing (its upload never completed).
 */
export class ScanProcessor {
  constructor(
    private readonly store: S3BlobStore,
    private readonly threads: ScanThreads | undefined,
    private readonly lockMs: number,
  ) {}

  /** The scan queue's jobs by name: `scan_blob` (hash, detect_pii) and `redact_blob`. */
  handle(job: Job<ScanJobPayloads[keyof ScanJobPayloads]>): Promise<unknown> {
    if (job.name === 'scan_blob') return this.handleScanBlob(job);
    if (job.name === 'redact_blob') return this.handleRedactBlob(job);
    throw new UnrecoverableError(`no scanner job is named ${job.name}`);
  }

  async handleScanBlob(job: Job<ScanJobPayloads['scan_blob']>): Promise<{ spans: number; size: number } | Skipped> {
    const workId = validWorkId(job.data.work_id);
    if (await this.store.exists(resultPath(workId))) return { skipped: true, reason: 'the result is already stored' };
    const order = await this.order(workId);
    const writer = new ResultWriter(this.store, workId);
    let reported = 0;
    try {
      const totals = await passStored(
        this.store,
        this.threads,
        order.blob_path,
        order.expected_size,
        order.mode === 'scan' ? order.config : null,
        {
          spans: (batch) => writer.batch(batch),
          progress: async (read) => {
            if (read - reported < PROGRESS_EVERY_BYTES) return;
            reported = read;
            await job.updateProgress(read);
          },
        },
      );
      // A scanner cut off past its lock (the job runs elsewhere now) stores nothing: one result per job, not two.
      if ((await job.extendLock(job.token ?? '', this.lockMs)) !== 1) {
        await writer.abort();
        throw new Error('this run lost its lock (the scanner was cut off or stalled): another scanner runs the job');
      }
      await writer.finish(totals);
      return { spans: totals.spans, size: totals.size };
    } catch (err) {
      await writer.abort();
      // A stored file that is missing never comes back by retrying.
      if (err instanceof BlobUnreadableError && err.code === 'ENOENT') throw new UnrecoverableError(err.message);
      throw err;
    }
  }

  /**
   * A redacted copy (role writer's redact job, issue 19): the original streams through the redactor, with the
   * plan's merged spans as they are read, into a new blob of the bucket (same encryption); the result names it,
   * with both SHA-256s. The writer commits it or removes it. A run that lost its lock removes its own copy and
   * stores no result; a result already stored ends the job. Spans that do not fit the original, or an original
   * that fails its authentication, are a result too (the writer fails the request with it): retrying cannot help.
   */
  async handleRedactBlob(job: Job<ScanJobPayloads['redact_blob']>): Promise<{ size: number } | { problem: RedactProblemKind } | Skipped> {
    const workId = validWorkId(job.data.work_id);
    if (await this.store.exists(resultPath(workId))) return { skipped: true, reason: 'the result is already stored' };
    const { header, spans } = await this.plan(workId);
    let blob: RedactedBlob;
    try {
      blob = await redactToBlob(this.store, header.blob_path, spans, header.expected);
    } catch (err) {
      // Closes the plan's read (not awaited: a read under way finishes first).
      void spans.return(undefined).catch(() => undefined);
      if (err instanceof WorkKeyMismatch || err instanceof WorkObjectGone) throw new UnrecoverableError(err.message);
      if (err instanceof BlobUnreadableError && err.code === 'ENOENT') throw new UnrecoverableError(err.message);
      const kind = err instanceof SpansDoNotFitError ? 'spans_do_not_fit' : err instanceof BlobIntegrityError ? 'integrity' : null;
      if (kind === null) throw err;
      await this.holdLock(job);
      await writeRedactResult(this.store, workId, { v: 1, problem: { kind, message: (err as Error).message } });
      return { problem: kind };
    }
    try {
      // A scanner cut off past its lock (the job runs elsewhere now) leaves nothing: one copy per job, not two.
      await this.holdLock(job);
      await writeRedactResult(this.store, workId, { v: 1, redacted: blob });
    } catch (err) {
      await this.store.remove(blob.path).catch(() => undefined);
      throw err;
    }
    return { size: blob.size };
  }

  private async holdLock(job: Job): Promise<void> {
    if ((await job.extendLock(job.token ?? '', this.lockMs)) !== 1)
      throw new Error('this run lost its lock (the scanner was cut off or stalled): another scanner runs the job');
  }

  private async plan(workId: string): Promise<{ header: RedactPlanHeader; spans: AsyncGenerator<RedactionSpan> }> {
    try {
      const plan = await readRedactPlan(this.store, workId);
      if (!STORED_PATH.test(plan.header.blob_path)) {
        await plan.spans.return(undefined);
        throw new UnrecoverableError(`the redaction plan ${workId} names no stored file`);
      }
      return plan;
    } catch (err) {
      if (err instanceof WorkKeyMismatch) throw new UnrecoverableError(err.message);
      if (err instanceof WorkObjectGone) throw new UnrecoverableError(`the redaction plan ${workId} is gone`);
      throw err;
    }
  }

  private async order(workId: string): Promise<ScanOrder> {
    try {
      const order = await readOrder(this.store, workId);
      if (!STORED_PATH.test(order.blob_path)) throw new UnrecoverableError(`the work order ${workId} names no stored file`);
      return order;
    } catch (err) {
      if (err instanceof WorkKeyMismatch) throw new UnrecoverableError(err.message);
      // Released by its writer (it committed another run's result), or never written: nothing to do for anyone.
      if (err instanceof WorkObjectGone) throw new UnrecoverableError(`the work order ${workId} is gone`);
      throw err;
    }
  }
}

function validWorkId(workId: unknown): string {
  if (typeof workId !== 'string' || !WORK_ID.test(workId)) throw new UnrecoverableError('the job has no valid work id');
  return workId;
}
