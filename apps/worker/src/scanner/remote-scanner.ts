import type { OnApplicationShutdown } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { Queue, QueueEvents } from 'bullmq';
import { createRedisConnection, redactJobId, SCAN_JOB_POLICY, SCAN_QUEUE, scanJobId } from '@tftsr/jobs';
import type { ScanJobName, ScanJobPayloads, RedisClient } from '@tftsr/jobs';
import type { PiiConfig, SpanSource } from '@tftsr/pii';
import { BlobIntegrityError } from '@tftsr/storage';
import type { RedactedBlob, RedactExpectation } from '../redact-blob';
import { SpansDoNotFitError } from '../redact-blob';
import type { PassTotals, ScanSink } from '../scan-blob';
import type { WorkerConfig } from '../config/worker.config';
import type { WorkObjects } from './scan-work';
import { orderPath, readResult, removeWork, resultPath, writeOrder } from './scan-work';
import { readRedactResult, writeRedactPlan } from './redact-work';

/** A lost event (a Redis failover, a reconnect) costs at most this long: the job's state and the result are looked at again. */
const POLL_MS = 2000;
/** Orders and results nobody released (a writer that died and a file deleted since): removed after a day. */
export const STALE_WORK_MS = 24 * 3600 * 1000;
const SWEEP_EVERY_MS = 3600 * 1000;

/**
 * The writer's side of a remote pass (TFTSR_WORKER_ROLE=writer, issue 19): it puts a sealed work order in the
 * bucket, adds `scan_blob` under a job id derived from the work id (a rerun finds the same job, or its result),
 * waits for the result, and streams its batches into the caller's sink. The commit and the audit stay the
 * caller's, exactly as when the pass is local.
 */
export class RemoteScanner implements OnApplicationShutdown {
  private readonly logger = new Logger('RemoteScanner');
  private readonly connection: RedisClient;
  private readonly eventsConnection: RedisClient;
  private readonly queue: Queue<ScanJobPayloads[ScanJobName]>;
  private readonly events: QueueEvents;
  private readonly wakers = new Map<string, Set<() => void>>();
  private readonly sweepTimer: NodeJS.Timeout;

  constructor(
    config: WorkerConfig,
    private readonly store: WorkObjects,
  ) {
    this.connection = createRedisConnection(config.redis, 'worker');
    this.eventsConnection = createRedisConnection(config.redis, 'worker');
    for (const c of [this.connection, this.eventsConnection]) c.on('error', () => undefined);
    this.queue = new Queue(SCAN_QUEUE, { connection: this.connection, prefix: config.queuePrefix });
    this.queue.on('error', () => undefined);
    this.events = new QueueEvents(SCAN_QUEUE, { connection: this.eventsConnection, prefix: config.queuePrefix });
    this.events.on('error', () => undefined);
    this.events.on('completed', ({ jobId }) => this.wake(jobId));
    this.events.on('failed', ({ jobId }) => this.wake(jobId));
    this.events.on('progress', ({ jobId }) => this.wake(jobId));
    this.sweepTimer = setInterval(() => void this.sweep(), SWEEP_EVERY_MS);
    this.sweepTimer.unref();
  }

  async pass(
    work: { workId: string; logFileId: string },
    path: string,
    expectedSize: number,
    config: PiiConfig | null,
    sink: ScanSink,
  ): Promise<PassTotals> {
    const { workId } = work;
    // A rerun after the scan ended (the writer died before its commit) finds the result and commits it.
    if (!(await this.store.exists(resultPath(workId)))) {
      const order = { v: 1 as const, log_file_id: work.logFileId, blob_path: path, expected_size: expectedSize, config };
      await writeOrder(this.store, workId, { ...order, mode: config ? 'scan' : 'hash' });
      await this.waitForResult('scan_blob', workId, work.logFileId, (read) => sink.progress(read));
    }
    return readResult(this.store, workId, (batch) => sink.spans(batch));
  }

  /**
   * A redacted copy written by a scanner (`redact_blob`): the plan (the original, what it must be, the merged
   * spans to hide, streamed in batches) goes into the bucket, then the job; the result names the new blob. A
   * rerun with the same work id finds the result and reuses it. The caller commits or discards the blob, and
   * releases the work objects, as for a local copy. The scanner's problems come back as the local ones.
   */
  async redact(
    work: { workId: string; logFileId: string },
    path: string,
    merged: SpanSource,
    expected: RedactExpectation,
  ): Promise<RedactedBlob> {
    const { workId, logFileId } = work;
    if (!(await this.store.exists(resultPath(workId)))) {
      // A plan of this work id is complete (S3 shows no object before its upload completed) and says the same: an
      // overlapping run of the job (a stalled lock) waits for it rather than writing it again under its reader.
      if (!(await this.store.exists(orderPath(workId))))
        await writeRedactPlan(this.store, workId, { log_file_id: logFileId, blob_path: path, expected }, merged);
      await this.waitForResult('redact_blob', workId, logFileId, () => undefined);
    }
    const result = await readRedactResult(this.store, workId);
    if ('redacted' in result) return result.redacted;
    const { kind, message } = result.problem;
    throw kind === 'spans_do_not_fit' ? new SpansDoNotFitError(message) : new BlobIntegrityError(message);
  }

  /** Best effort: the sweep removes what this misses. */
  release(workId: string): void {
    void removeWork(this.store, workId);
  }

  /** As release, awaited: a redaction's next attempt may use the same work id and must not find a result. */
  releaseNow(workId: string): Promise<void> {
    return removeWork(this.store, workId);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.sweepTimer);
    await Promise.allSettled([this.events.close(), this.queue.close()]);
    this.connection.disconnect();
    this.eventsConnection.disconnect();
  }

  /**
   * Until the result is in the bucket. The job is added when Redis has none (first run, or lost in a failover),
   * added again when it completed without a result (swept since), and its failure is this run's failure: the
   * ingest job's next attempt adds it anew.
   */
  private async waitForResult(
    name: ScanJobName,
    workId: string,
    logFileId: string,
    onProgress: (read: number) => Promise<void> | void,
  ): Promise<void> {
    const jobId = name === 'scan_blob' ? scanJobId(workId) : redactJobId(workId);
    let progress = 0;
    for (;;) {
      const woken = this.wakeOn(jobId);
      try {
        const job = await this.queue.getJob(jobId);
        const state = job ? await job.getState() : 'missing';
        if (state === 'completed' || state === 'missing' || state === 'unknown') {
          if (await this.store.exists(resultPath(workId))) return;
          if (job) await job.remove().catch(() => undefined);
          await this.queue.add(name, { work_id: workId, log_file_id: logFileId }, { ...SCAN_JOB_POLICY, jobId });
        } else if (state === 'failed') {
          const reason = job?.failedReason ?? 'unknown';
          await job?.remove().catch(() => undefined);
          throw new Error(`the scanner failed: ${reason}`);
        } else if (typeof job?.progress === 'number' && job.progress > progress) {
          progress = job.progress;
          await onProgress(progress);
        }
        await woken.promise;
      } finally {
        woken.cancel();
      }
    }
  }

  /** Resolves at the job's next event, or after POLL_MS. */
  private wakeOn(jobId: string): { promise: Promise<void>; cancel: () => void } {
    let wake: () => void = () => undefined;
    let timer: NodeJS.Timeout | undefined;
    const promise = new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, POLL_MS);
    });
    const set = this.wakers.get(jobId) ?? new Set();
    set.add(wake);
    this.wakers.set(jobId, set);
    return {
      promise,
      cancel: () => {
        clearTimeout(timer);
        set.delete(wake);
        if (set.size === 0 && this.wakers.get(jobId) === set) this.wakers.delete(jobId);
      },
    };
  }

  private wake(jobId: string): void {
    for (const wake of this.wakers.get(jobId) ?? []) wake();
  }

  private async sweep(now = Date.now()): Promise<void> {
    try {
      let removed = 0;
      for await (const object of this.store.listWork()) {
        if (now - object.modifiedMs < STALE_WORK_MS) continue;
        await this.store.remove(object.path);
        removed += 1;
      }
      if (removed > 0) this.logger.log(`removed ${removed} stale scanner work object(s) older than a day`);
    } catch (err) {
      this.logger.warn(`the sweep of stale scanner work objects failed: ${(err as Error).message}`);
    }
  }
}
