import { parentPort, workerData } from 'node:worker_threads';
import type { NewPiiSpan } from '@tftsr/db';
import type { PiiConfig } from '@tftsr/pii';
import { closeBlobStore, openBlobStore } from '@tftsr/storage';
import type { BlobStoreChoice } from '@tftsr/storage';
import { passBlob } from './scan-blob';

/**
 * A file's single read on a thread of its own: decryption, SHA-256 and the engine keep one core busy without
 * stalling the worker's event loop (whose lock renewals, span writes and other jobs carry on). Span batches go
 * out without waiting for each to be written: at most `inFlight` unacknowledged, so memory stays bounded while
 * the thread never idles on a single commit.
 */
export interface ScanThreadData {
  dataDir: string;
  store: BlobStoreChoice;
  wrapKey: Uint8Array;
  path: string;
  /** null: hash only. */
  config: PiiConfig | null;
  batchSize: number;
  inFlight: number;
}

export type ScanThreadMessage =
  | { kind: 'spans'; batch: NewPiiSpan[] }
  | { kind: 'progress'; bytesRead: number }
  | { kind: 'done'; sha256: string; size: number; spans: number; counts: Record<string, number> }
  | { kind: 'error'; message: string; name: string };

if (parentPort) {
  const port = parentPort;
  const data = workerData as ScanThreadData;
  let unacked = 0;
  let room: (() => void) | null = null;
  // Each ack is one batch written.
  port.on('message', () => {
    unacked -= 1;
    const wake = room;
    room = null;
    wake?.();
  });
  const send = (message: ScanThreadMessage) => port.postMessage(message);
  const blobs = openBlobStore(data.store, data.dataDir, Buffer.from(data.wrapKey));
  passBlob(blobs, data.path, data.config, data.batchSize, {
    spans: async (batch) => {
      while (unacked >= data.inFlight) await new Promise<void>((resolve) => (room = resolve));
      unacked += 1;
      send({ kind: 'spans', batch });
    },
    progress: (bytesRead) => send({ kind: 'progress', bytesRead }),
  })
    .then(
      (totals) => send({ kind: 'done', ...totals }),
      (err: Error) => send({ kind: 'error', message: err.message, name: err.name }),
    )
    .finally(() => closeBlobStore(blobs));
}
