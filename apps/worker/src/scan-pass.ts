import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PiiConfig } from '@tftsr/pii';
import type { BlobStore, BlobStoreChoice } from '@tftsr/storage';
import type { PassTotals, ScanSink } from './scan-blob';
import { passBlob } from './scan-blob';
import type { ScanThreadData, ScanThreadMessage } from './scan-thread';

export const WRITE_BATCH = 5000;
/** Span batches the scan thread may have out unwritten: enough to never wait on one commit, few enough to stay small. */
const IN_FLIGHT_BATCHES = 4;
/** Below this a pass takes milliseconds, less than starting a thread. */
const THREAD_FROM_BYTES = 8 * 1024 * 1024;

/** Where blobs live and their key, for passes on a thread of their own (the thread opens its own BlobStore). */
export class ScanThreads {
  constructor(
    readonly dataDir: string,
    readonly wrapKey: Buffer,
    readonly store: BlobStoreChoice = { kind: 'filesystem' },
  ) {}
}

/**
 * One read of a stored file (passBlob), on a thread of its own when it is large and threads are given: the worker
 * in role `all` and a scanner run the same pass. Needs no database.
 */
export function passStored(
  blobs: BlobStore,
  threads: ScanThreads | undefined,
  path: string,
  expectedSize: number,
  config: PiiConfig | null,
  sink: ScanSink,
): Promise<PassTotals> {
  const threaded = threads !== undefined && runsCompiled() && expectedSize >= THREAD_FROM_BYTES;
  return threaded ? onThread(threads, path, config, sink) : passBlob(blobs, path, config, WRITE_BATCH, sink);
}

function onThread(threads: ScanThreads, path: string, config: PiiConfig | null, sink: ScanSink): Promise<PassTotals> {
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

/** Threads need the compiled JavaScript; under ts-jest the same loop runs on the event loop instead. */
function runsCompiled(): boolean {
  return __filename.endsWith('.js');
}
