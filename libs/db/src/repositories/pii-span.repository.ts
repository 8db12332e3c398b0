import { Db } from '../database';
import { newId } from '../ids';

export interface NewPiiSpan {
  pii_type: string;
  start_offset: number;
  end_offset: number;
  original_value: string;
  replacement: string;
}

/**
 * The spans of a log file. A scan stages its spans in batches, then `replaceFromStaging` swaps them in whole,
 * so a file has exactly one complete set of spans at any moment, however often or far a scan ran.
 */
export class PiiSpanRepository {
  private readonly stageStmt;
  private readonly clearStagingStmt;
  private readonly deleteStmt;
  private readonly swapStmt;
  private readonly countByTypeStmt;

  constructor(private readonly db: Db) {
    this.stageStmt = db.prepare(
      `INSERT INTO pii_span_staging (run_id, id, log_file_id, pii_type, start_offset, end_offset, original_value, replacement)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.clearStagingStmt = db.prepare(`DELETE FROM pii_span_staging WHERE log_file_id = ?`);
    this.deleteStmt = db.prepare(`DELETE FROM pii_spans WHERE log_file_id = ?`);
    this.swapStmt = db.prepare(
      `INSERT INTO pii_spans (id, log_file_id, pii_type, start_offset, end_offset, original_value, replacement)
       SELECT id, log_file_id, pii_type, start_offset, end_offset, original_value, replacement
       FROM pii_span_staging WHERE run_id = ? AND log_file_id = ? ORDER BY start_offset`,
    );
    this.countByTypeStmt = db.prepare(`SELECT pii_type, count(*) AS n FROM pii_spans WHERE log_file_id = ? GROUP BY pii_type ORDER BY pii_type`);
  }

  /** Drops what an interrupted earlier scan of the file staged. */
  clearStaging(logFileId: string): void {
    this.clearStagingStmt.run(logFileId);
  }

  /** Stages a batch; call it in a short transaction of its own. */
  stage(runId: string, logFileId: string, spans: NewPiiSpan[]): void {
    for (const s of spans) this.stageStmt.run(runId, newId(), logFileId, s.pii_type, s.start_offset, s.end_offset, s.original_value, s.replacement);
  }

  /** Replaces all spans of the file with the staged run. Call it inside the transaction that finishes the scan. */
  replaceFromStaging(runId: string, logFileId: string): number {
    this.deleteStmt.run(logFileId);
    const inserted = this.swapStmt.run(runId, logFileId).changes;
    this.clearStagingStmt.run(logFileId);
    return inserted;
  }

  countByType(logFileId: string): Record<string, number> {
    const rows = this.countByTypeStmt.all(logFileId) as { pii_type: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.pii_type, r.n]));
  }
}
