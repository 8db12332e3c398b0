import { parentPort, workerData } from 'node:worker_threads';
import type { NewPiiSpan } from '../../../libs/db/src';
import type { PiiConfig } from '../../../libs/pii/src';
import { closeBlobStore, openBlobStore } from '../../../libs/storage/src';
import type { BlobStoreChoice } from '../../../libs/storage/src';
import { scanBlob } from './scan-blob';

/**
 * A detect_pii scan on a thread of its own: decryption and the engine keep one core busy without stalling the
 * worker's event loop (whose lock renewals and other jobs carry on), and the file's hash runs beside it.
 * Each batch waits for the main thread's ack, so spans never pile up faster than they are staged.
 */
export interface ScanThreadData {
  dataDir: string;
  store: BlobStoreChoice;
  wrapKey: Uint8Array;
  path: string;
  config: PiiConfig;
  batchSize: number;
}

export type ScanThreadMessage =
  | { kind: 'spans'; batch: NewPiiSpan[] }
  | { kind: 'progress'; bytesRead: number }
  | { kind: 'done'; spans: number; counts: Record<string, number> }
  | { kind: 'error'; message: string; name: string };

if (parentPort) {
  const port = parentPort;
  const data = workerData as ScanThreadData;
  let acked: (() => void) | null = null;
  port.on('message', () => acked?.());
  const send = (message: ScanThreadMessage) => port.postMessage(message);
  const blobs = openBlobStore(data.store, data.dataDir, Buffer.from(data.wrapKey));
  scanBlob(blobs, data.path, data.config, data.batchSize, {
    spans: (batch) =>
      new Promise<void>((resolve) => {
        acked = resolve;
        send({ kind: 'spans', batch });
      }),
    progress: (bytesRead) => send({ kind: 'progress', bytesRead }),
  })
    .then(
      (totals) => send({ kind: 'done', ...totals }),
      (err: Error) => send({ kind: 'error', message: err.message, name: err.name }),
    )
    .finally(() => closeBlobStore(blobs));
}
