import { Inject, Injectable, Optional } from '@nestjs/common';
import { GroupCommit, LogFileProcessingRepository, newId, NewPiiSpan, PiiSpanRepository } from '@tftsr/db';
import { PiiConfig } from '@tftsr/pii';
import { BlobStore } from '@tftsr/storage';
import { PassTotals, ScanSink } from './scan-blob';
import { passStored, ScanThreads } from './scan-pass';
import { RemoteScanner } from './scanner/remote-scanner';

export { ScanThreads };

/** What a scanner needs to know of a job's file when the pass is remote (role `writer`): its work id, its file. */
export interface ScanWork {
  workId: string;
  logFileId: string;
}

const PROGRESS_STEP = 5;
/**
 * A file up to this size keeps its decrypted content from the scan's read, for its review index (no second read).
 * With TFTSR_WORKER_INGEST_CONCURRENCY jobs at once, at most that many MiB are held.
 */
export const KEEP_CONTENT_BYTES = 1024 * 1024;

/** Another run finished the file first: this one stops writing at once (see `scan`'s `superseded`). */
export class ScanSuperseded extends Error {
  constructor() {
    super('another run finished this scan first');
  }
}

/** One read of a file: its hash, and its spans written hidden under `runId` but for the last batch (`tail`). */
export interface ScanRun extends PassTotals {
  runId: string;
  /** The last batch, not yet written: the caller writes it in its finishing transaction (`publishRun`), saving a commit. */
  tail: NewPiiSpan[];
  /** Whether earlier batches were written (the run has a pii_scan_runs row). */
  begun: boolean;
  /** The file's decrypted content, when it is small and was read in this thread (KEEP_CONTENT_BYTES). */
  content?: Buffer[];
}

/**
 * Reads a stored file once, for its SHA-256 and its PII spans together. Spans are written as they are found, in
 * short transactions (a long scan never holds the write lock), hidden under the run's id; the caller publishes
 * them when the scan is complete. Every write goes through the worker's group commit, so a write lock another
 * process holds makes the pass wait (its batches back up to the scan thread) without stopping the event loop.
 * With ScanThreads (the worker app), decryption, hashing and the engine run on a worker thread and this side only
 * writes.
 */
@Injectable()
export class PiiScanService {
  constructor(
    private readonly group: GroupCommit,
    @Inject(BlobStore) private readonly blobs: BlobStore,
    private readonly spans: PiiSpanRepository,
    private readonly processing: LogFileProcessingRepository,
    @Optional() private readonly threads?: ScanThreads,
    @Optional() @Inject(RemoteScanner) private readonly remote?: RemoteScanner | null,
  ) {}

  /**
   * `superseded` is asked inside each write transaction: once another run has finished the file (and deleted
   * what this run wrote, in that same commit), this run can write nothing more, so no original value outlives it.
   */
  async scan(
    logFileId: string,
    path: string,
    expectedSize: number,
    config: PiiConfig,
    reportProgress: boolean,
    onProgress: (pct: number) => Promise<void>,
    superseded: () => boolean = () => false,
    workId?: string,
  ): Promise<ScanRun> {
    const runId = newId();
    let tail: NewPiiSpan[] = [];
    let begun = false;
    let reported = 0;
    const kept: Buffer[] = [];
    let keptBytes = 0;
    const sink: ScanSink = {
      content:
        expectedSize <= KEEP_CONTENT_BYTES
          ? (chunk) => {
              kept.push(chunk);
              keptBytes += chunk.length;
            }
          : undefined,
      spans: async (batch) => {
        // Every batch but the last is written now; the last one rides in the caller's finishing transaction.
        if (tail.length > 0) {
          const previous = tail;
          // The pass awaits each batch, so the run's writes commit in order, one at a time.
          await this.group.run(() => {
            if (superseded()) throw new ScanSuperseded();
            if (!begun) this.spans.beginRun(runId, logFileId);
            this.spans.writeRun(runId, logFileId, previous);
          });
          begun = true;
        }
        tail = batch;
      },
      progress: async (read) => {
        const pct = expectedSize > 0 ? Math.min(99, Math.floor((read / expectedSize) * 100)) : 0;
        if (!reportProgress || pct < reported + PROGRESS_STEP) return;
        reported = pct;
        await this.group.run(() => this.processing.setScanProgress(logFileId, pct));
        await onProgress(pct);
      },
    };
    try {
      const work = workId === undefined ? undefined : { workId, logFileId };
      const totals = await this.pass(path, expectedSize, config, sink, work);
      // Kept only if every byte came through here (a scanner's pass gives spans, not content).
      const content = sink.content && keptBytes === totals.size ? kept : undefined;
      return { ...totals, runId, tail, begun, content };
    } catch (err) {
      // A failed scan leaves no original value behind.
      if (begun) await this.discard(runId, logFileId);
      throw err;
    }
  }

  /** The SHA-256 and size of a stored file, read once, on a thread when it is large. */
  async hash(path: string, expectedSize: number, work?: ScanWork): Promise<PassTotals> {
    return this.pass(path, expectedSize, null, { spans: () => undefined, progress: () => undefined }, work);
  }

  /** After the job's finishing commit (or its loss to another run): its work order and result go (role `writer`). */
  release(workId: string): void {
    this.remote?.release(workId);
  }

  /** Drops a run's hidden spans (it failed, or lost the race to finish); best effort, the start sweep is the backstop. */
  async discard(runId: string, logFileId: string): Promise<void> {
    try {
      await this.group.run(() => this.spans.discardRun(runId, logFileId));
    } catch {
      // The database is unavailable: the next start's sweep removes them.
    }
  }

  /** Role `writer`: a scanner makes the pass and this side only writes what it found (issue 19). */
  private pass(path: string, expectedSize: number, config: PiiConfig | null, sink: ScanSink, work?: ScanWork): Promise<PassTotals> {
    if (this.remote && work) return this.remote.pass(work, path, expectedSize, config, sink);
    return passStored(this.blobs, this.threads, path, expectedSize, config, sink);
  }
}
