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
 * takes well under an hour. A scan run older than this died: its hidden spans are reported by `db verify`.
 */
export const LONGEST_SCAN_MS = 2 * 3600 * 1000;

/**
 * A span is visible unless the run that wrote it is still under way (it has a pii_scan_runs row). Bound to
 * @log_file_id, so the subquery is evaluated once per statement, not once per row.
 */
const VISIBLE = `(scan_run_id IS NULL OR scan_run_id NOT IN (SELECT run_id FROM pii_scan_runs WHERE log_file_id = @log_file_id))`;
/** The same, for statements that name pii_spans `s`. */
export const VISIBLE_SPAN = VISIBLE.replace(/^\(scan_run_id IS NULL OR scan_run_id/, '(s.scan_run_id IS NULL OR s.scan_run_id');

/** The run's row is gone: a start-up sweep took it (and its spans) while it was still scanning. */
export class ScanRunSwept extends Error {
  constructor() {
    super('the spans this scan had written were swept by a worker starting; scanning again');
  }
}

/**
 * The spans of a log file. A scan writes its spans once, in batches, straight into pii_spans under its run id,
 * hidden while the run is under way (pii_scan_runs); `publishRun` then removes the previous set and the run's
 * row in one transaction. So a file has exactly one complete set of detected spans at any moment, however often
 * or far a scan ran; a reviewer's manual spans are kept through every swap.
 */
export class PiiSpanRepository {
  private readonly beginRunStmt;
  private readonly runExistsStmt;
  private readonly writeStmt;
  private readonly countFileStmt;
  private readonly countManualStmt;
  private readonly deleteRunSpansStmt;
  private readonly deleteRunStmt;
  private readonly deleteOthersStmt;
  private readonly deleteFileRunsStmt;
  private readonly staleRunsStmt;
  private readonly countByTypeStmt;
  private readonly pageStmt;
  private readonly redactableStmt;
  private readonly summaryStmt;
  private readonly wipeStmt;
  private readonly insertStmt;

  constructor(private readonly db: Db) {
    this.beginRunStmt = db.prepare(`INSERT INTO pii_scan_runs (run_id, log_file_id, started_at) VALUES (?, ?, ?)`);
    this.runExistsStmt = db.prepare(`SELECT 1 FROM pii_scan_runs WHERE run_id = ?`).pluck();
    this.writeStmt = db.prepare(
      `INSERT INTO pii_spans (id, log_file_id, pii_type, start_offset, end_offset, original_value, replacement, scan_run_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.countFileStmt = db.prepare(`SELECT count(*) FROM pii_spans WHERE log_file_id = ?`).pluck();
    this.countManualStmt = db.prepare(`SELECT count(*) FROM pii_span_review WHERE log_file_id = ? AND source = 'manual'`).pluck();
    this.deleteRunSpansStmt = db.prepare(`DELETE FROM pii_spans WHERE log_file_id = ? AND scan_run_id = ?`);
    this.deleteRunStmt = db.prepare(`DELETE FROM pii_scan_runs WHERE run_id = ?`);
    // A reviewer's manual spans are not the detector's to replace: they stay (and stay redacted) across rescans.
    this.deleteOthersStmt = db.prepare(
      `DELETE FROM pii_spans WHERE log_file_id = @log_file_id AND scan_run_id IS NOT @run_id
         AND id NOT IN (SELECT span_id FROM pii_span_review WHERE log_file_id = @log_file_id AND source = 'manual')`,
    );
    this.deleteFileRunsStmt = db.prepare(`DELETE FROM pii_scan_runs WHERE log_file_id = ?`);
    this.staleRunsStmt = db.prepare(`SELECT run_id, log_file_id FROM pii_scan_runs WHERE started_at < ?`);
    this.countByTypeStmt = db.prepare(
      `SELECT pii_type, count(*) AS n FROM pii_spans WHERE log_file_id = @log_file_id AND ${VISIBLE} GROUP BY pii_type ORDER BY pii_type`,
    );
    this.pageStmt = db.prepare(pageSql('*'));
    // Redaction reads no original value: it never needs one.
    this.redactableStmt = db.prepare(pageSql('id, pii_type, start_offset, end_offset, replacement'));
    this.summaryStmt = db.prepare(
      `SELECT pii_type, count(*) AS n, max(end_offset) AS max_end FROM pii_spans
       WHERE log_file_id = @log_file_id AND ${VISIBLE} AND (@ids IS NULL OR id IN (SELECT value FROM json_each(@ids)))
       GROUP BY pii_type ORDER BY pii_type`,
    );
    this.insertStmt = db.prepare(
      `INSERT INTO pii_spans (id, log_file_id, pii_type, start_offset, end_offset, original_value, replacement) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.wipeStmt = db.prepare(`UPDATE pii_spans SET original_value = '' WHERE log_file_id = ? AND original_value <> ''`);
  }

  /** Registers a run before its first batch: until `publishRun`, what it writes stays hidden. */
  beginRun(runId: string, logFileId: string, now = Date.now()): void {
    this.beginRunStmt.run(runId, logFileId, now);
  }

  /**
   * Writes a batch of a begun run, hidden; call it in a short transaction of its own. Throws ScanRunSwept when the
   * run's row is gone, since spans written without it would be visible at once.
   */
  writeRun(runId: string, logFileId: string, spans: NewPiiSpan[]): void {
    if (this.runExistsStmt.get(runId) === undefined) throw new ScanRunSwept();
    this.insertRun(runId, logFileId, spans);
  }

  private insertRun(runId: string, logFileId: string, spans: NewPiiSpan[]): void {
    for (const s of spans)
      this.writeStmt.run(newId(), logFileId, s.pii_type, s.start_offset, s.end_offset, s.original_value, s.replacement, runId);
  }

  /**
   * Makes the run the file's set of detected spans, with `tail` (its last batch) written here: the previous set
   * goes, manual spans (pii_span_review.source = 'manual') stay, and every run of the file under way loses its
   * row (what it wrote is deleted here; its next batch fails with ScanRunSwept). Call it inside the transaction
   * that finishes the scan, which commits all of it or none. `expected` is how many spans the run found; if the
   * file does not end up with exactly those (a sweep took some), it throws ScanRunSwept and nothing changes.
   */
  publishRun(runId: string, logFileId: string, tail: NewPiiSpan[], expected: number, begun: boolean): number {
    // A sweep deletes a run's row and its spans together: the row still there means none of them went.
    if (begun && this.runExistsStmt.get(runId) === undefined) throw new ScanRunSwept();
    this.insertRun(runId, logFileId, tail);
    // Both counts read an index only; the delete, which reads every span of the file, runs only when there is
    // something besides the run's spans and the manual ones (the previous set, or another run's hidden spans).
    const manual = this.countManualStmt.get(logFileId) as number;
    if ((this.countFileStmt.get(logFileId) as number) !== expected + manual) {
      this.deleteOthersStmt.run({ log_file_id: logFileId, run_id: runId });
      if ((this.countFileStmt.get(logFileId) as number) !== expected + manual) throw new ScanRunSwept();
    }
    this.deleteFileRunsStmt.run(logFileId);
    return expected;
  }

  /** Drops what one run wrote: it failed, or another run finished the file first. Original values must not linger. */
  discardRun(runId: string, logFileId: string): number {
    const removed = this.deleteRunSpansStmt.run(logFileId, runId).changes;
    this.deleteRunStmt.run(runId);
    return removed;
  }

  /** Drops every run begun before `before` (ms) and what it wrote: the runs of scans that died. Returns the spans removed. */
  sweepRunsBefore(before: number): number {
    const runs = this.staleRunsStmt.all(before) as { run_id: string; log_file_id: string }[];
    return runs.reduce((n, r) => n + this.discardRun(r.run_id, r.log_file_id), 0);
  }

  countByType(logFileId: string): Record<string, number> {
    const rows = this.countByTypeStmt.all({ log_file_id: logFileId }) as { pii_type: string; n: number }[];
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
    WHERE log_file_id = @log_file_id AND ${VISIBLE}
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
