import type { Db } from '../database';
import { toDbTimestamp } from '../ids';
import { LogFileLineIndexRepository } from './log-file-line-index.repository';
import { VISIBLE_SPAN } from './pii-span.repository';

export type PiiDecision = 'redact' | 'keep';
export type SpanSource = 'detector' | 'manual';

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

export interface FileValueRow {
  value_id: string;
  pii_type: string;
  masked: string;
  span_count: number;
  first_line: number;
}

export interface ListedValue extends FileValueRow {
  /** The value's own decision (file, else issue); null when nobody decided. */
  decision: PiiDecision | null;
}

export interface ValuePageQuery {
  type?: string;
  decision?: PiiDecision;
  /** (span_count, value_id) of the last item of the previous page. */
  after?: [number, string];
  limit: number;
}

export interface WindowSpan {
  id: string;
  pii_type: string;
  start_offset: number;
  end_offset: number;
  original_value: string;
  replacement: string;
  value_id: string | null;
  source: SpanSource | null;
  decision: PiiDecision;
}

/** A span the redacted copy must hide: every span but the kept ones. */
export interface SpanToRedact {
  id: string;
  pii_type: string;
  start_offset: number;
  end_offset: number;
  replacement: string;
  original_value: string;
}

export interface TypeTotals {
  pii_type: string;
  spans: number;
  values: number;
  kept: number;
}

/**
 * What a span's decision is: its own, else its value's in the file, else its value's in the issue, else redact.
 * A span without a review row (not indexed yet) is redacted: nothing is ever kept by accident.
 */
const EFFECTIVE_DECISION = `coalesce(
  r.decision,
  (SELECT fd.decision FROM pii_file_decisions fd WHERE fd.log_file_id = s.log_file_id AND fd.value_id = r.value_id),
  (SELECT idc.decision FROM pii_issue_decisions idc WHERE idc.issue_id = @issue_id AND idc.value_id = r.value_id),
  'redact')`;

const VALUE_DECISION = `coalesce(
  (SELECT fd.decision FROM pii_file_decisions fd WHERE fd.log_file_id = v.log_file_id AND fd.value_id = v.value_id),
  (SELECT idc.decision FROM pii_issue_decisions idc WHERE idc.issue_id = @issue_id AND idc.value_id = v.value_id))`;

const REDACTED = `AND coalesce(${VALUE_DECISION}, 'redact') = 'redact'`;

function valuePageSql(typed: boolean, decisionFilter: string): string {
  return `SELECT v.value_id, v.pii_type, v.masked, v.span_count, v.first_line, ${VALUE_DECISION} AS decision
    FROM pii_file_values v
    WHERE v.log_file_id = @log_file_id ${typed ? 'AND v.pii_type = @type' : ''}
      AND (@after_count IS NULL OR v.span_count < @after_count OR (v.span_count = @after_count AND v.value_id > @after_id))
      ${decisionFilter}
    ORDER BY v.span_count DESC, v.value_id LIMIT @limit`;
}

/**
 * The review side of a file's spans (migrations/024_create_redaction_review.sql): review state, span review rows,
 * distinct values and decisions. Line starts and pseudonyms have their own repositories.
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
      // No subquery around the page: SQLite walks the (span_count DESC, value_id) index and stops at the limit,
      // computing the decision of the rows it returns only (a wrapped, ordered subquery was materialised whole).
      // Four variants, so that each one's plan uses the index that matches its filters.
      valuePage: db.prepare(valuePageSql(false, '')),
      typedValuePage: db.prepare(valuePageSql(true, '')),
      redactedValuePage: db.prepare(valuePageSql(false, REDACTED)),
      typedRedactedValuePage: db.prepare(valuePageSql(true, REDACTED)),
      // Kept values are few: start from the decisions (CROSS JOIN keeps that order), not from every value.
      keptValuePage: db.prepare(
        `SELECT * FROM (
           SELECT v.value_id, v.pii_type, v.masked, v.span_count, v.first_line, ${VALUE_DECISION} AS decision
           FROM (SELECT value_id FROM pii_file_decisions WHERE log_file_id = @log_file_id AND decision = 'keep'
                 UNION SELECT value_id FROM pii_issue_decisions WHERE issue_id = @issue_id AND decision = 'keep') k
           CROSS JOIN pii_file_values v ON v.log_file_id = @log_file_id AND v.value_id = k.value_id
           WHERE (@type IS NULL OR v.pii_type = @type)
             AND (@after_count IS NULL OR v.span_count < @after_count OR (v.span_count = @after_count AND v.value_id > @after_id)))
         WHERE decision = 'keep' ORDER BY span_count DESC, value_id LIMIT @limit`,
      ),
      valuesById: db.prepare(
        `SELECT * FROM pii_file_values WHERE log_file_id = @log_file_id AND value_id IN (SELECT value FROM json_each(@ids))`,
      ),
      originalOfValue: db.prepare(
        `SELECT s.original_value FROM pii_span_review r JOIN pii_spans s ON s.id = r.span_id
         WHERE r.log_file_id = ? AND r.value_id = ? AND s.original_value <> '' LIMIT 1`,
      ),
      spansById: db.prepare(
        `SELECT s.id, s.original_value, r.value_id FROM pii_spans s LEFT JOIN pii_span_review r ON r.span_id = s.id
         WHERE s.log_file_id = @log_file_id AND ${VISIBLE_SPAN} AND s.id IN (SELECT value FROM json_each(@ids))`,
      ),
      setFileDecision: db.prepare(
        `INSERT OR REPLACE INTO pii_file_decisions (log_file_id, value_id, decision, decided_by, decided_at) VALUES (?, ?, ?, ?, ?)`,
      ),
      clearFileDecision: db.prepare(`DELETE FROM pii_file_decisions WHERE log_file_id = ? AND value_id = ?`),
      setIssueDecision: db.prepare(
        `INSERT OR REPLACE INTO pii_issue_decisions (issue_id, value_id, decision, decided_by, decided_at) VALUES (?, ?, ?, ?, ?)`,
      ),
      clearIssueDecision: db.prepare(`DELETE FROM pii_issue_decisions WHERE issue_id = ? AND value_id = ?`),
      setSpanDecision: db.prepare(`UPDATE pii_span_review SET decision = ? WHERE span_id = ?`),
      windowSpans: db.prepare(
        `SELECT s.id, s.pii_type, s.start_offset, s.end_offset, s.original_value, s.replacement, r.value_id, r.source, ${EFFECTIVE_DECISION} AS decision
         FROM pii_spans s LEFT JOIN pii_span_review r ON r.span_id = s.id
         WHERE s.log_file_id = @log_file_id AND ${VISIBLE_SPAN} AND s.start_offset >= @from_start AND s.start_offset < @to AND s.end_offset > @from
         ORDER BY s.start_offset, s.id`,
      ),
      toRedact: db.prepare(
        `SELECT s.id, s.pii_type, s.start_offset, s.end_offset, s.replacement, s.original_value
         FROM pii_spans s LEFT JOIN pii_span_review r ON r.span_id = s.id
         WHERE s.log_file_id = @log_file_id AND ${VISIBLE_SPAN} AND (s.start_offset, s.id) > (coalesce(@after_start, -1), coalesce(@after_id, ''))
           AND ${EFFECTIVE_DECISION} <> 'keep'
         ORDER BY s.start_offset, s.id LIMIT @limit`,
      ),
      redactSummary: db.prepare(
        `SELECT s.pii_type, count(*) AS n, max(s.end_offset) AS max_end
         FROM pii_spans s LEFT JOIN pii_span_review r ON r.span_id = s.id
         WHERE s.log_file_id = @log_file_id AND ${VISIBLE_SPAN} AND ${EFFECTIVE_DECISION} <> 'keep'
         GROUP BY s.pii_type ORDER BY s.pii_type`,
      ),
      typeTotals: db.prepare(
        `SELECT v.pii_type, sum(v.span_count) AS spans, count(*) AS "values",
           sum(CASE WHEN ${VALUE_DECISION} = 'keep' THEN v.span_count ELSE 0 END) AS kept
         FROM pii_file_values v WHERE v.log_file_id = @log_file_id GROUP BY v.pii_type ORDER BY v.pii_type`,
      ),
      // Spans whose own decision differs from their value's: they move the kept total one way or the other.
      overrides: db.prepare(
        `SELECT v.pii_type, r.decision AS own, coalesce(${VALUE_DECISION}, 'redact') AS of_value
         FROM pii_span_review r JOIN pii_file_values v ON v.log_file_id = r.log_file_id AND v.value_id = r.value_id
         WHERE r.log_file_id = @log_file_id AND r.decision IS NOT NULL`,
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
   * returns the last value id written, or null when there were none left. Memory stays flat for any file.
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
    return rows.length === 0 ? null : rows.reduce((max, r) => (r.value_id > max ? r.value_id : max), rows[0].value_id);
  }

  addToValue(logFileId: string, value: FileValueRow): void {
    this.stmts.addToValue.run({ log_file_id: logFileId, ...value });
  }

  listValues(logFileId: string, issueId: string, query: ValuePageQuery): ListedValue[] {
    const typed = query.type !== undefined;
    const stmts = this.stmts;
    const stmt =
      query.decision === 'keep'
        ? stmts.keptValuePage
        : query.decision === 'redact'
          ? typed
            ? stmts.typedRedactedValuePage
            : stmts.redactedValuePage
          : typed
            ? stmts.typedValuePage
            : stmts.valuePage;
    return stmt.all({
      log_file_id: logFileId,
      issue_id: issueId,
      type: query.type ?? null,
      after_count: query.after?.[0] ?? null,
      after_id: query.after?.[1] ?? null,
      limit: query.limit,
    }) as ListedValue[];
  }

  valuesById(logFileId: string, ids: string[]): FileValueRow[] {
    return this.stmts.valuesById.all({ log_file_id: logFileId, ids: JSON.stringify(ids) }) as FileValueRow[];
  }

  /** One stored original of the value, or undefined once wiped. */
  originalOf(logFileId: string, valueId: string): string | undefined {
    return (this.stmts.originalOfValue.get(logFileId, valueId) as { original_value: string } | undefined)?.original_value;
  }

  spansById(logFileId: string, ids: string[]): { id: string; original_value: string; value_id: string | null }[] {
    return this.stmts.spansById.all({ log_file_id: logFileId, ids: JSON.stringify(ids) }) as {
      id: string;
      original_value: string;
      value_id: string | null;
    }[];
  }

  /** Sets (or, with null, clears) a value's decision in one file, or in every file of an issue. */
  decideValue(scope: { logFileId: string } | { issueId: string }, valueId: string, decision: PiiDecision | null, actor: string): void {
    if ('logFileId' in scope) {
      if (decision === null) this.stmts.clearFileDecision.run(scope.logFileId, valueId);
      else this.stmts.setFileDecision.run(scope.logFileId, valueId, decision, actor, toDbTimestamp());
    } else if (decision === null) this.stmts.clearIssueDecision.run(scope.issueId, valueId);
    else this.stmts.setIssueDecision.run(scope.issueId, valueId, decision, actor, toDbTimestamp());
  }

  decideSpan(spanId: string, decision: PiiDecision | null): void {
    this.stmts.setSpanDecision.run(decision, spanId);
  }

  /**
   * The spans that overlap bytes [from, to), with their decisions. Spans are short, so one that overlaps the
   * window starts at most `maxSpanBytes` before it: the index seek stays bounded.
   */
  windowSpans(logFileId: string, issueId: string, from: number, to: number, maxSpanBytes: number): WindowSpan[] {
    return this.stmts.windowSpans.all({
      log_file_id: logFileId,
      issue_id: issueId,
      from,
      from_start: from - maxSpanBytes,
      to,
    }) as WindowSpan[];
  }

  /** Every span to hide, in file order, a page at a time (no statement stays open across the caller's awaits). */
  *iterateToRedact(logFileId: string, issueId: string, pageSize = 5000): Generator<SpanToRedact> {
    let after: [number, string] | null = null;
    for (;;) {
      const page = this.stmts.toRedact.all({
        log_file_id: logFileId,
        issue_id: issueId,
        after_start: after?.[0] ?? null,
        after_id: after?.[1] ?? null,
        limit: pageSize,
      }) as SpanToRedact[];
      yield* page;
      if (page.length < pageSize) return;
      const last = page[page.length - 1];
      after = [last.start_offset, last.id];
    }
  }

  summariseToRedact(logFileId: string, issueId: string): { count: number; countsByType: Record<string, number>; maxEnd: number } {
    const rows = this.stmts.redactSummary.all({ log_file_id: logFileId, issue_id: issueId }) as {
      pii_type: string;
      n: number;
      max_end: number;
    }[];
    return {
      count: rows.reduce((sum, r) => sum + r.n, 0),
      countsByType: Object.fromEntries(rows.map((r) => [r.pii_type, r.n])),
      maxEnd: rows.reduce((max, r) => Math.max(max, r.max_end), 0),
    };
  }

  totals(logFileId: string, issueId: string): TypeTotals[] {
    const rows = this.stmts.typeTotals.all({ log_file_id: logFileId, issue_id: issueId }) as TypeTotals[];
    const byType = new Map(rows.map((r) => [r.pii_type, r]));
    for (const o of this.stmts.overrides.all({ log_file_id: logFileId, issue_id: issueId }) as {
      pii_type: string;
      own: PiiDecision;
      of_value: PiiDecision;
    }[]) {
      const row = byType.get(o.pii_type);
      if (!row || o.own === o.of_value) continue;
      row.kept += o.own === 'keep' ? 1 : -1;
    }
    return rows;
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
