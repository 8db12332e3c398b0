import type { Db } from '../database';
import { toDbTimestamp } from '../ids';
import { LogFileLineIndexRepository } from './log-file-line-index.repository';
import type { SpanSource } from './pii-decision-rules';
import type { FileValueRow } from './pii-file-value.repository';

export interface LogFileReviewState {
  log_file_id: string;
  indexed_at: string | null;
  total_lines: number | null;
  decisions_rev: number;
  finalized_at: string | null;
}

export interface SpanReviewRow {
  span_id: string;
  log_file_id: string;
  value_id: string;
  line_number: number;
  source: SpanSource;
}

/**
 * A file's review index and state (migrations/024_create_redaction_review.sql): the review row (indexed, decisions
 * revision, finalized), the span review rows and the distinct values written from them, and the sweeps over review
 * states. Decisions are PiiDecisionRepository's, reading the values PiiFileValueRepository's; line starts and
 * pseudonyms have their own repositories.
 */
export class PiiReviewRepository {
  private readonly stmts;
  private aggregateStmt: ReturnType<Db['prepare']> | undefined;
  /** Forgetting the index forgets its line starts too. */
  private readonly lines: LogFileLineIndexRepository;

  constructor(private readonly db: Db) {
    this.lines = new LogFileLineIndexRepository(db);
    this.stmts = {
      ensureState: db.prepare(`INSERT OR IGNORE INTO log_file_review (log_file_id) VALUES (?)`),
      getState: db.prepare(`SELECT * FROM log_file_review WHERE log_file_id = ?`),
      bumpRev: db.prepare(`UPDATE log_file_review SET decisions_rev = decisions_rev + 1 WHERE log_file_id = ?`),
      bumpRevOfIssue: db.prepare(
        `UPDATE log_file_review SET decisions_rev = decisions_rev + 1 WHERE log_file_id IN (SELECT id FROM log_files WHERE issue_id = ?)`,
      ),
      markIndexed: db.prepare(`UPDATE log_file_review SET indexed_at = ?, total_lines = ? WHERE log_file_id = ?`),
      finalize: db.prepare(`UPDATE log_file_review SET finalized_at = ? WHERE log_file_id = ? AND finalized_at IS NULL`),
      // Manual spans survive a rescan, and so do their review rows (source, line, own decision).
      clearSpanReview: db.prepare(`DELETE FROM pii_span_review WHERE log_file_id = ? AND source <> 'manual'`),
      clearValues: db.prepare(`DELETE FROM pii_file_values WHERE log_file_id = ?`),
      unindex: db.prepare(`UPDATE log_file_review SET indexed_at = NULL, total_lines = NULL WHERE log_file_id = ?`),
      insertSpanReview: db.prepare(
        `INSERT OR IGNORE INTO pii_span_review (span_id, log_file_id, value_id, line_number, source) VALUES (@span_id, @log_file_id, @value_id, @line_number, @source)`,
      ),
      addToValue: db.prepare(
        `INSERT INTO pii_file_values (log_file_id, value_id, pii_type, masked, span_count, first_line)
         VALUES (@log_file_id, @value_id, @pii_type, @masked, @span_count, @first_line)
         ON CONFLICT (log_file_id, value_id) DO UPDATE SET span_count = span_count + excluded.span_count, first_line = min(first_line, excluded.first_line)`,
      ),
      dueForFinalizing: db.prepare(
        `SELECT f.id FROM log_files f
         JOIN log_file_processing p ON p.log_file_id = f.id AND p.hash_state = 'done' AND p.scan_state = 'done'
         LEFT JOIN log_file_review r ON r.log_file_id = f.id
         WHERE f.uploaded_at < ? AND r.finalized_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM redaction_requests q WHERE q.log_file_id = f.id AND (q.state = 'pending' OR (q.finalize = 1 AND q.state = 'failed')))
         ORDER BY f.uploaded_at LIMIT ?`,
      ),
      legacyPartial: db.prepare(
        `SELECT x.log_file_id AS id FROM log_file_redactions x
         LEFT JOIN log_file_review r ON r.log_file_id = x.log_file_id
         WHERE x.legacy_partial = 1 AND r.finalized_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM redaction_requests q WHERE q.log_file_id = x.log_file_id AND q.created_at >= x.created_at AND q.id <> x.request_id)
         LIMIT ?`,
      ),
    };
  }

  /** The file's review row, made on first use. */
  state(logFileId: string): LogFileReviewState {
    this.stmts.ensureState.run(logFileId);
    return this.stmts.getState.get(logFileId) as LogFileReviewState;
  }

  find(logFileId: string): LogFileReviewState | undefined {
    return this.stmts.getState.get(logFileId) as LogFileReviewState | undefined;
  }

  bumpRev(logFileId: string): void {
    this.stmts.ensureState.run(logFileId);
    this.stmts.bumpRev.run(logFileId);
  }

  bumpRevOfIssue(issueId: string): void {
    this.stmts.bumpRevOfIssue.run(issueId);
  }

  markIndexed(logFileId: string, totalLines: number): void {
    this.stmts.ensureState.run(logFileId);
    this.stmts.markIndexed.run(toDbTimestamp(), totalLines, logFileId);
  }

  markFinalized(logFileId: string, at: string): boolean {
    this.stmts.ensureState.run(logFileId);
    return this.stmts.finalize.run(at, logFileId).changes === 1;
  }

  /**
   * Forgets the index (the detected spans were replaced by a new scan); decisions per value stay, and so do the
   * review rows of manual spans, which the rebuilt index counts again with the others.
   */
  clearIndex(logFileId: string): void {
    this.stmts.clearSpanReview.run(logFileId);
    this.lines.clear(logFileId);
    this.stmts.clearValues.run(logFileId);
    this.stmts.unindex.run(logFileId);
  }

  insertSpanReviews(rows: SpanReviewRow[]): void {
    for (const row of rows) this.stmts.insertSpanReview.run(row);
  }

  /**
   * Writes the file's distinct values from its span rows, `limit` values after `after` (value ids in order);
   * returns the last value id written, or null once none are left (a page short of `limit` was the last one, so
   * a small file takes one call). Memory stays flat for any file.
   */
  aggregateValues(logFileId: string, after: string, limit: number): string | null {
    // Prepared on first use: it calls tftsr_mask, which libs/redaction registers on the connection first.
    this.aggregateStmt ??= this.db.prepare(
      `INSERT OR REPLACE INTO pii_file_values (log_file_id, value_id, pii_type, masked, span_count, first_line)
         SELECT r.log_file_id, r.value_id, s.pii_type, tftsr_mask(s.pii_type, s.original_value, s.replacement), count(*), min(r.line_number)
         FROM pii_span_review r JOIN pii_spans s ON s.id = r.span_id
         WHERE r.log_file_id = @log_file_id AND r.value_id > @after
         GROUP BY r.value_id ORDER BY r.value_id LIMIT @limit
         RETURNING value_id`,
    );
    const rows = this.aggregateStmt.all({ log_file_id: logFileId, after, limit }) as { value_id: string }[];
    if (rows.length < limit) return null;
    return rows.reduce((max, r) => (r.value_id > max ? r.value_id : max), rows[0].value_id);
  }

  addToValue(logFileId: string, value: FileValueRow): void {
    this.stmts.addToValue.run({ log_file_id: logFileId, ...value });
  }

  /**
   * Files uploaded before `cutoff` and not finalized, with no redaction pending and no finalizing one that
   * failed (that one needs a person: retrying it every sweep would not help).
   */
  dueForFinalizing(cutoff: string, limit: number): string[] {
    return (this.stmts.dueForFinalizing.all(cutoff, limit) as { id: string }[]).map((r) => r.id);
  }

  /**
   * Files whose redacted copy came from a partial approval before issue 12 (it may show what was not approved)
   * and that no request since has replaced or tried to.
   */
  legacyPartial(limit: number): string[] {
    return (this.stmts.legacyPartial.all(limit) as { id: string }[]).map((r) => r.id);
  }
}
