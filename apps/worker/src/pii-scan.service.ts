import { Inject, Injectable, Optional } from '@nestjs/common';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Db, DB, LogFileProcessingRepository, newId, NewPiiSpan, PiiSpanRepository, transaction } from '@tftsr/db';
import { PiiConfig } from '@tftsr/pii';
import { BlobStore } from '@tftsr/storage';
import type { BlobStoreChoice } from '@tftsr/storage';
import { scanBlob, ScanSink, ScanTotals } from './scan-blob';
import type { ScanThreadData, ScanThreadMessage } from './scan-thread';

const STAGE_BATCH = 5000;
const PROGRESS_STEP = 5;
/** Below this a scan takes milliseconds, less than starting a thread. */
const THREAD_FROM_BYTES = 8 * 1024 * 1024;

/** Another run finished the file first: this one stops staging at once (see `scan`'s `superseded`). */
export class ScanSuperseded extends Error {
  constructor() {
    super('another run finished this scan first');
  }
}

export interface ScanRun {
  runId: string;
  spans: number;
  counts: Record<string, number>;
  /** The last batch, not yet staged: the caller stages it in its finishing transaction, saving a commit. */
  tail: NewPiiSpan[];
}

/** Where blobs live and their key, for scans on a thread of their own (the thread opens its own BlobStore). */
export class ScanThreads {
  constructor(
    readonly dataDir: string,
    readonly wrapKey: Buffer,
    readonly store: BlobStoreChoice = { kind: 'filesystem' },
  ) {}
}

/**
 * Streams a stored file through the PII engine. Spans are staged in short transactions as they are found, so a
 * long scan never holds the write lock; the caller swaps them in when the scan is complete. With ScanThreads
 * (the worker app), the decrypt-and-scan loop runs on a worker thread and this side only stages.
 */
@Injectable()
export class PiiScanService {
  constructor(
    @Inject(DB) private readonly db: Db,
    @Inject(BlobStore) private readonly blobs: BlobStore,
    private readonly spans: PiiSpanRepository,
    private readonly processing: LogFileProcessingRepository,
    @Optional() private readonly threads?: ScanThreads,
  ) {}

  /**
   * `superseded` is asked inside each staging transaction: once another run has finished the file (and emptied
   * its staging in that same commit), this run can stage nothing more, so no original value outlives the file's scan.
   */
  async scan(
    logFileId: string,
    path: string,
    expectedSize: number,
    config: PiiConfig,
    reportProgress: boolean,
    onProgress: (pct: number) => Promise<void>,
    superseded: () => boolean = () => false,
  ): Promise<ScanRun> {
    const runId = newId();
    let tail: NewPiiSpan[] = [];
    let reported = 0;
    const sink: ScanSink = {
      spans: (batch) => {
        // Every batch but the last is staged now; the last one rides in the caller's finishing transaction.
        if (tail.length > 0) {
          transaction(this.db, () => {
            if (superseded()) throw new ScanSuperseded();
            this.spans.stage(runId, logFileId, tail);
          });
        }
        tail = batch;
      },
      progress: async (read) => {
        const pct = expectedSize > 0 ? Math.min(99, Math.floor((read / expectedSize) * 100)) : 0;
        if (!reportProgress || pct < reported + PROGRESS_STEP) return;
        reported = pct;
        this.processing.setScanProgress(logFileId, pct);
        await onProgress(pct);
      },
    };
    const threaded = this.threads !== undefined && runsCompiled() && expectedSize >= THREAD_FROM_BYTES;
    try {
      const totals = threaded ? await this.onThread(path, config, sink) : await scanBlob(this.blobs, path, config, STAGE_BATCH, sink);
      return { runId, spans: totals.spans, counts: totals.counts, tail };
    } catch (err) {
      // A failed scan leaves no original value behind in staging.
      this.discard(runId);
      throw err;
    }
  }

  /** Drops a run's staged spans (it failed, or lost the race to finish); best effort, the start sweep is the backstop. */
  discard(runId: string): void {
    try {
      transaction(this.db, () => this.spans.clearRun(runId));
    } catch {
      // The database is unavailable: the next start's sweep removes them.
    }
  }

  private onThread(path: string, config: PiiConfig, sink: ScanSink): Promise<ScanTotals> {
    const threads = this.threads as ScanThreads;
    const workerData: ScanThreadData = {
      dataDir: threads.dataDir,
      wrapKey: threads.wrapKey,
      store: threads.store,
      path,
      config,
      batchSize: STAGE_BATCH,
    };
    // A thread is a second V8 heap in the same process: keep it small, so the worker stays within its memory budget.
    const thread = new Worker(join(__dirname, 'scan-thread.js'), {
      workerData,
      resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 },
    });
    return new Promise<ScanTotals>((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        void thread.terminate();
        fn();
      };
      thread.on('message', (message: ScanThreadMessage) => {
        void (async () => {
          try {
            if (message.kind === 'spans') {
              await sink.spans(message.batch);
              thread.postMessage('ack');
            } else if (message.kind === 'progress') {
              await sink.progress(message.bytesRead);
            } else if (message.kind === 'done') {
              finish(() => resolve({ spans: message.spans, counts: message.counts }));
            } else {
              const error = new Error(message.message);
              error.name = message.name;
              finish(() => reject(error));
            }
          } catch (err) {
            // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- passes on what the handler threw, as it was
            finish(() => reject(err));
          }
        })();
      });
      thread.on('error', (err) => finish(() => reject(err)));
      thread.on('exit', (code) => finish(() => reject(new Error(`the scan thread exited with code ${code}`))));
    });
  }
}

/** Threads need the compiled JavaScript; under ts-jest the same loop runs on the event loop instead. */
function runsCompiled(): boolean {
  return __filename.endsWith('.js');
}
