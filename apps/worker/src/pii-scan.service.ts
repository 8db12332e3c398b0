import { Inject, Injectable, Optional } from '@nestjs/common';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Db, DB, LogFileProcessingRepository, newId, NewPiiSpan, PiiSpanRepository, transaction } from '@tftsr/db';
import { PiiConfig } from '@tftsr/pii';
import { BlobStore } from '@tftsr/storage';
import type { BlobStoreChoice } from '@tftsr/storage';
import { passBlob, PassTotals, ScanSink } from './scan-blob';
import type { ScanThreadData, ScanThreadMessage } from './scan-thread';

const WRITE_BATCH = 5000;
/** Span batches the scan thread may have out unwritten: enough to never wait on one commit, few enough to stay small. */
const IN_FLIGHT_BATCHES = 4;
const PROGRESS_STEP = 5;
/** Below this a pass takes milliseconds, less than starting a thread. */
const THREAD_FROM_BYTES = 8 * 1024 * 1024;

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
}

/** Where blobs live and their key, for passes on a thread of their own (the thread opens its own BlobStore). */
export class ScanThreads {
  constructor(
    readonly dataDir: string,
    readonly wrapKey: Buffer,
    readonly store: BlobStoreChoice = { kind: 'filesystem' },
  ) {}
}

/**
 * Reads a stored file once, for its SHA-256 and its PII spans together. Spans are written as they are found, in
 * short transactions (a long scan never holds the write lock), hidden under the run's id; the caller publishes
 * them when the scan is complete. With ScanThreads (the worker app), decryption, hashing and the engine run on a
 * worker thread and this side only writes.
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
  ): Promise<ScanRun> {
    const runId = newId();
    let tail: NewPiiSpan[] = [];
    let begun = false;
    let reported = 0;
    const sink: ScanSink = {
      spans: (batch) => {
        // Every batch but the last is written now; the last one rides in the caller's finishing transaction.
        if (tail.length > 0) {
          const previous = tail;
          transaction(this.db, () => {
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
        this.processing.setScanProgress(logFileId, pct);
        await onProgress(pct);
      },
    };
    try {
      const totals = await this.pass(path, expectedSize, config, sink);
      return { ...totals, runId, tail, begun };
    } catch (err) {
      // A failed scan leaves no original value behind.
      if (begun) this.discard(runId, logFileId);
      throw err;
    }
  }

  /** The SHA-256 and size of a stored file, read once, on a thread when it is large. */
  async hash(path: string, expectedSize: number): Promise<PassTotals> {
    return this.pass(path, expectedSize, null, { spans: () => undefined, progress: () => undefined });
  }

  /** Drops a run's hidden spans (it failed, or lost the race to finish); best effort, the start sweep is the backstop. */
  discard(runId: string, logFileId: string): void {
    try {
      transaction(this.db, () => this.spans.discardRun(runId, logFileId));
    } catch {
      // The database is unavailable: the next start's sweep removes them.
    }
  }

  private pass(path: string, expectedSize: number, config: PiiConfig | null, sink: ScanSink): Promise<PassTotals> {
    const threaded = this.threads !== undefined && runsCompiled() && expectedSize >= THREAD_FROM_BYTES;
    return threaded ? this.onThread(path, config, sink) : passBlob(this.blobs, path, config, WRITE_BATCH, sink);
  }

  private onThread(path: string, config: PiiConfig | null, sink: ScanSink): Promise<PassTotals> {
    const threads = this.threads as ScanThreads;
    const workerData: ScanThreadData = {
      dataDir: threads.dataDir,
      wrapKey: threads.wrapKey,
      store: threads.store,
      path,
      config,
      batchSize: WRITE_BATCH,
      inFlight: IN_FLIGHT_BATCHES,
    };
    // A thread is a second V8 heap in the same process: keep it small, so the worker stays within its memory budget.
    const thread = new Worker(join(__dirname, 'scan-thread.js'), {
      workerData,
      resourceLimits: { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 },
    });
    return new Promise<PassTotals>((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        void thread.terminate();
        fn();
      };
      const handle = async (message: ScanThreadMessage): Promise<void> => {
        if (message.kind === 'spans') {
          await sink.spans(message.batch);
          thread.postMessage('ack');
        } else if (message.kind === 'progress') {
          await sink.progress(message.bytesRead);
        } else if (message.kind === 'done') {
          const { sha256, size, spans, counts } = message;
          finish(() => resolve({ sha256, size, spans, counts }));
        } else {
          const error = new Error(message.message);
          error.name = message.name;
          finish(() => reject(error));
        }
      };
      // Messages are handled one after another, in order: `done` resolves only once every batch before it is
      // written, and an exit is looked at only after the messages sent before it. Each waits for the event loop's
      // next turn, so batches that arrived together do not stop lock renewals for several commits in a row.
      let chain = Promise.resolve();
      const queue = (step: () => Promise<void> | void) => {
        chain = chain
          .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
          .then(() => (settled ? undefined : step()))
          .catch((err: unknown) => finish(() => reject(err as Error)));
      };
      thread.on('message', (message: ScanThreadMessage) => queue(() => handle(message)));
      thread.on('error', (err) => queue(() => finish(() => reject(err))));
      thread.on('exit', (code) => queue(() => finish(() => reject(new Error(`the scan thread exited with code ${code}`)))));
    });
  }
}

/** Threads need the compiled JavaScript; under ts-jest the same loop runs on the event loop instead. */
function runsCompiled(): boolean {
  return __filename.endsWith('.js');
}
