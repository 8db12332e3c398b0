import { Inject, Injectable } from '@nestjs/common';
import { Db, DB, LogFileProcessingRepository, newId, NewPiiSpan, PiiSpanRepository, transaction } from '../../../libs/db/src';
import { PiiConfig, PiiSpan, StreamScanner } from '../../../libs/pii/src';
import { BlobStore } from '../../../libs/storage/src';

const STAGE_BATCH = 5000;
const PROGRESS_STEP = 5;

export interface ScanRun {
  runId: string;
  spans: number;
  counts: Record<string, number>;
  /** The last batch, not yet staged: the caller stages it in its finishing transaction, saving a commit. */
  tail: NewPiiSpan[];
}

/**
 * Streams a stored file through the PII engine. Spans are staged in short transactions as they are found,
 * so a long scan never holds the write lock; the caller swaps them in when the scan is complete.
 */
@Injectable()
export class PiiScanService {
  private readonly spans: PiiSpanRepository;
  private readonly processing: LogFileProcessingRepository;

  constructor(
    @Inject(DB) private readonly db: Db,
    @Inject(BlobStore) private readonly blobs: BlobStore,
  ) {
    this.spans = new PiiSpanRepository(db);
    this.processing = new LogFileProcessingRepository(db);
  }

  async scan(logFileId: string, path: string, expectedSize: number, config: PiiConfig, reportProgress: boolean, onProgress: (pct: number) => Promise<void>): Promise<ScanRun> {
    const runId = newId();
    const scanner = new StreamScanner(config);
    const counts: Record<string, number> = {};
    let pending: NewPiiSpan[] = [];
    let total = 0;
    let read = 0;
    let reported = 0;
    const stage = (found: PiiSpan[]) => {
      for (const s of found) {
        counts[s.pii_type] = (counts[s.pii_type] ?? 0) + 1;
        pending.push({ pii_type: s.pii_type, start_offset: s.start, end_offset: s.end, original_value: s.original.toString('utf8'), replacement: s.replacement });
      }
      total += found.length;
      if (pending.length >= STAGE_BATCH) {
        this.flush(runId, logFileId, pending);
        pending = [];
      }
    };
    for await (const chunk of this.blobs.openRead(path)) {
      stage(scanner.push(chunk as Buffer));
      read += (chunk as Buffer).length;
      const pct = expectedSize > 0 ? Math.min(99, Math.floor((read / expectedSize) * 100)) : 0;
      if (reportProgress && pct >= reported + PROGRESS_STEP) {
        reported = pct;
        this.processing.setScanProgress(logFileId, pct);
        await onProgress(pct);
      }
    }
    stage(scanner.end());
    return { runId, spans: total, counts, tail: pending };
  }

  private flush(runId: string, logFileId: string, batch: NewPiiSpan[]): void {
    if (batch.length === 0) return;
    transaction(this.db, () => this.spans.stage(runId, logFileId, batch));
  }
}
