import type { Job } from 'bullmq';
import { UnrecoverableError } from 'bullmq';
import type { ScanJobPayloads } from '@tftsr/jobs';
import { BlobUnreadableError, STORED_PATH } from '@tftsr/storage';
import type { S3BlobStore } from '@tftsr/storage';
import type { Skipped } from '../outbox-job';
import type { ScanThreads } from '../scan-pass';
import { passStored } from '../scan-pass';
import type { ScanOrder } from './scan-work';
import { readOrder, ResultWriter, resultPath, WorkKeyMismatch } from './scan-work';

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

  async handleScanBlob(job: Job<ScanJobPayloads['scan_blob']>): Promise<{ spans: number; size: number } | Skipped> {
    const workId = job.data.work_id;
    if (typeof workId !== 'string' || !WORK_ID.test(workId)) throw new UnrecoverableError('the job has no valid work id');
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

  private async order(workId: string): Promise<ScanOrder> {
    try {
      const order = await readOrder(this.store, workId);
      if (!STORED_PATH.test(order.blob_path)) throw new UnrecoverableError(`the work order ${workId} names no stored file`);
      return order;
    } catch (err) {
      if (err instanceof WorkKeyMismatch) throw new UnrecoverableError(err.message);
      // Released by its writer (it committed another run's result), or never written: nothing to do for anyone.
      if (err instanceof BlobUnreadableError && err.code === 'ENOENT') throw new UnrecoverableError(`the work order ${workId} is gone`);
      throw err;
    }
  }
}
