import type { NewPiiSpan } from '@tftsr/db';
import type { PiiConfig } from '@tftsr/pii';
import { StreamScanner } from '@tftsr/pii';
import type { BlobStore } from '@tftsr/storage';

/** Where a scan's results go: batches of spans, and progress in bytes read. Both may apply backpressure. */
export interface ScanSink {
  spans(batch: NewPiiSpan[]): Promise<void> | void;
  progress(bytesRead: number): Promise<void> | void;
}

export interface ScanTotals {
  spans: number;
  counts: Record<string, number>;
}

/** Decrypts a stored file and streams it through the PII engine: the same loop on a thread or on the event loop. */
export async function scanBlob(blobs: BlobStore, path: string, config: PiiConfig, batchSize: number, sink: ScanSink): Promise<ScanTotals> {
  const scanner = new StreamScanner(config);
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
    await take(scanner.push(chunk as Buffer), false);
    read += (chunk as Buffer).length;
    await sink.progress(read);
  }
  await take(scanner.end(), true);
  return { spans: total, counts };
}
