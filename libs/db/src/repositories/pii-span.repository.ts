import type { Db } from '../database';
import { newId } from '../ids';
import type { PiiSpan } from '../models';
import type { RedactableSummary, TypeCountRow } from './span-pages';
import { inFileOrder, summariseByType } from './span-pages';

export interface NewPiiSpan {
  pii_type: string;
  start_offset: number;
  end_offset: number;
  original_value: string;
  replacement: string;
}

/** What redaction needs of a span: never its original value. */
export type RedactableSpan = Pick<PiiSpan, 'id' | 'pii_type' | 'start_offset' | 'end_offset' | 'replacement'>;

export type { RedactableSummary } from './span-pages';

export interface PiiSpanPageQuery {
  /** Only these types; all types when absent. */
  types?: string[];
  /** Only these spans; all spans of the file when absent. */
  ids?: string[];
  /** The (start_offset, id) of the last span of the previous page. */
  after?: [number, string];
  limit: number;
}

/**
 * Longer than any scan can run: the largest upload at the slowest scan rate seen (about 1 MiB/s on a busy core)
 * takes well under an hour. A staged span older than this belongs to a scan that died: `db verify` reports it.
 */
export const LONGEST_SCAN_MS = 2 * 3600 * 1000;

/**
 * The spans of a log file. A scan stages its spans in batches, then `replaceFromStaging` swaps them in whole,
 * so a file has exactly one complete set of detected spans at any moment, however often or far a scan ran;
 * a reviewer's manual spans are kept through every swap.
 */
export class PiiSpanRepository {
  private readonly stageStmt;
  private readonly clearStagingStmt;
  private readonly deleteStmt;
  private readonly swapStmt;
  private readonly countByTypeStmt;
  private readonly pageStmt;
  private readonly redactableStmt;
  private readonly summaryStmt;
  private readonly wipeStmt;
  private readonly clearRunStmt;
  private readonly countRunStmt;
  private readonly sweepStmt;
  private readonly insertStmt;

  constructor(private readonly db: Db) {
    this.stageStmt = db.prepare(
      `INSERT INTO pii_span_staging (run_id, id, log_file_id, pii_type, start_offset, end_offset, original_value, replacement, staged_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.clearRunStmt = db.prepare(`DELETE FROM pii_span_staging WHERE run_id = ?`);
    this.countRunStmt = db.prepare(`SELECT count(*) FROM pii_span_staging WHERE run_id = ?`).pluck();
    this.sweepStmt = db.prepare(`DELETE FROM pii_span_staging WHERE staged_at < ?`);
    this.clearStagingStmt = db.prepare(`DELETE FROM pii_span_staging WHERE log_file_id = ?`);
    // A reviewer's manual spans are not the detector's to replace: they stay (and stay redacted) across rescans.
    this.deleteStmt = db.prepare(
      `DELETE FROM pii_spans WHERE log_file_id = @log_file_id
         AND id NOT IN (SELECT span_id FROM pii_span_review WHERE log_file_id = @log_file_id AND source = 'manual')`,
    );
    this.swapStmt = db.prepare(
      `INSERT INTO pii_spans (id, log_file_id, pii_type, start_offset, end_offset, original_value, replacement)
       SELECT id, log_file_id, pii_type, start_offset, end_offset, original_value, replacement
       FROM pii_span_staging WHERE run_id = ? AND log_file_id = ? ORDER BY start_offset`,
    );
    this.countByTypeStmt = db.prepare(
      `SELECT pii_type, count(*) AS n FROM pii_spans WHERE log_file_id = ? GROUP BY pii_type ORDER BY pii_type`,
    );
    this.pageStmt = db.prepare(pageSql('*'));
    // Redaction reads no original value: it never needs one.
    this.redactableStmt = db.prepare(pageSql('id, pii_type, start_offset, end_offset, replacement'));
    this.summaryStmt = db.prepare(
      `SELECT pii_type, count(*) AS n, max(end_offset) AS max_end FROM pii_spans
       WHERE log_file_id = @log_file_id AND (@ids IS NULL OR id IN (SELECT value FROM json_each(@ids)))
       GROUP BY pii_type ORDER BY pii_type`,
    );
    this.insertStmt = db.prepare(
      `INSERT INTO pii_spans (id, log_file_id, pii_type, start_offset, end_offset, original_value, replacement) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.wipeStmt = db.prepare(`UPDATE pii_spans SET original_value = '' WHERE log_file_id = ? AND original_value <> ''`);
  }

  /** Drops what an interrupted earlier scan of the file staged. */
  clearStaging(logFileId: string): void {
    this.clearStagingStmt.run(logFileId);
  }

  /** Stages a batch; call it in a short transaction of its own. */
  stage(runId: string, logFileId: string, spans: NewPiiSpan[], now = Date.now()): void {
    for (const s of spans)
      this.stageStmt.run(runId, newId(), logFileId, s.pii_type, s.start_offset, s.end_offset, s.original_value, s.replacement, now);
  }

  /** Drops what one run staged: it failed, or another run finished the file first. Original values must not linger. */
  clearRun(runId: string): number {
    return this.clearRunStmt.run(runId).changes;
  }

  /** How many spans a run has staged: less than it found means some were swept under it. */
  countStaged(runId: string): number {
    return this.countRunStmt.get(runId) as number;
  }

  /** Drops everything staged before `before` (ms): the staging of scans that died. */
  sweepStagedBefore(before: number): number {
    return this.sweepStmt.run(before).changes;
  }

  /**
   * Replaces the detected spans of the file with the staged run; manual spans (pii_span_review.source = 'manual')
   * stay. Call it inside the transaction that finishes the scan.
   */
  replaceFromStaging(runId: string, logFileId: string): number {
    this.deleteStmt.run({ log_file_id: logFileId });
    const inserted = this.swapStmt.run(runId, logFileId).changes;
    this.clearStagingStmt.run(logFileId);
    return inserted;
  }

  countByType(logFileId: string): Record<string, number> {
    const rows = this.countByTypeStmt.all(logFileId) as { pii_type: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.pii_type, r.n]));
  }

  /** One page in file order, keyed on (start_offset, id) so that pages never skip or repeat a span. */
  listPage(logFileId: string, query: PiiSpanPageQuery): PiiSpan[] {
    return this.pageStmt.all(pageParams(logFileId, query)) as PiiSpan[];
  }

  /** The same page, without original values. */
  listRedactable(logFileId: string, query: PiiSpanPageQuery): RedactableSpan[] {
    return this.redactableStmt.all(pageParams(logFileId, query)) as RedactableSpan[];
  }

  /**
   * Every span of the file (ids null) or of `ids`, in file order, read page by page: no statement stays open
   * while the caller awaits, so other work can use the connection in between.
   */
  *iterateRedactable(logFileId: string, ids: string[] | null, pageSize = 5000): Generator<RedactableSpan> {
    yield* inFileOrder((after) => this.listRedactable(logFileId, { ids: ids ?? undefined, after, limit: pageSize }), pageSize);
  }

  /** How many of the spans are there, by type, and where the last of them ends. */
  summariseRedactable(logFileId: string, ids: string[] | null): RedactableSummary {
    return summariseByType(
      this.summaryStmt.all({ log_file_id: logFileId, ids: ids === null ? null : JSON.stringify(ids) }) as TypeCountRow[],
    );
  }

  /** Adds one span (a reviewer's manual span); returns its id. */
  insert(logFileId: string, span: NewPiiSpan): string {
    const id = newId();
    this.insertStmt.run(id, logFileId, span.pii_type, span.start_offset, span.end_offset, span.original_value, span.replacement);
    return id;
  }

  /** Forgets every original value of the file (the column is NOT NULL, so '' marks a wiped value). */
  wipeOriginals(logFileId: string): number {
    return this.wipeStmt.run(logFileId).changes;
  }
}

/**
 * Lists are bound as JSON arrays, so one prepared statement serves any number of types or ids. The keyset is
 * one row-value comparison (the first page starts before every span), so each page seeks the index.
 */
function pageSql(columns: string): string {
  return `SELECT ${columns} FROM pii_spans
    WHERE log_file_id = @log_file_id
      AND (@types IS NULL OR pii_type IN (SELECT value FROM json_each(@types)))
      AND (@ids IS NULL OR id IN (SELECT value FROM json_each(@ids)))
      AND (start_offset, id) > (coalesce(@after_start, -1), coalesce(@after_id, ''))
    ORDER BY start_offset, id LIMIT @limit`;
}

function pageParams(logFileId: string, query: PiiSpanPageQuery): Record<string, unknown> {
  return {
    log_file_id: logFileId,
    types: query.types?.length ? JSON.stringify(query.types) : null,
    ids: query.ids ? JSON.stringify(query.ids) : null,
    after_start: query.after?.[0] ?? null,
    after_id: query.after?.[1] ?? null,
    limit: query.limit,
  };
}
