import { createHash } from 'node:crypto';
import type { NewPiiSpan } from '@tftsr/db';
import type { PiiConfig } from '@tftsr/pii';
import { StreamScanner } from '@tftsr/pii';
import type { BlobStore } from '@tftsr/storage';

/** Where a pass's results go: batches of spans, and progress in bytes read. Both may apply backpressure. */
export interface ScanSink {
  spans(batch: NewPiiSpan[]): Promise<void> | void;
  progress(bytesRead: number): Promise<void> | void;
  /** Each decrypted chunk, in order, when the pass runs in this thread (not on a scan thread, not on a scanner). */
  content?(chunk: Buffer): void;
}

/** What one read of a stored file gives: its SHA-256 and size, and (when scanned) its spans by type. */
export interface PassTotals {
  sha256: string;
  size: number;
  spans: number;
  counts: Record<string, number>;
}

/**
 * Reads and decrypts a stored file once, feeding each chunk to SHA-256 and (with a config) to the PII engine:
 * the same loop on a thread or on the event loop. Without a config it only hashes.
 */
export async function passBlob(
  blobs: BlobStore,
  path: string,
  config: PiiConfig | null,
  batchSize: number,
  sink: ScanSink,
): Promise<PassTotals> {
  const scanner = config ? new StreamScanner(config) : null;
  const hash = createHash('sha256');
  const counts: Record<string, number> = {};
  let batch: NewPiiSpan[] = [];
  let total = 0;
  let read = 0;
  const take = async (found: ReturnType<StreamScanner['push']>, final: boolean) => {
    for (const s of found) {
      counts[s.pii_type] = (counts[s.pii_type] ?? 0) + 1;
      batch.push({
        pii_type: s.pii_type,
        start_offset: s.start,
        end_offset: s.end,
        original_value: s.original.toString('utf8'),
        replacement: s.replacement,
      });
    }
    total += found.length;
    if (batch.length >= batchSize || (final && batch.length > 0)) {
      const full = batch;
      batch = [];
      await sink.spans(full);
    }
  };
  for await (const chunk of blobs.openRead(path)) {
    const bytes = chunk as Buffer;
    hash.update(bytes);
    sink.content?.(bytes);
    read += bytes.length;
    if (scanner) await take(scanner.push(bytes), false);
    await sink.progress(read);
  }
  if (scanner) await take(scanner.end(), true);
  return { sha256: hash.digest('hex'), size: read, spans: total, counts };
}
