import type { Db } from '../database';
import type { PiiDecision } from './pii-decision-rules';
import { VALUE_DECISION } from './pii-decision-rules';

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

export interface TypeTotals {
  pii_type: string;
  spans: number;
  values: number;
  kept: number;
}

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
 * A file's distinct values as the review reads them (`pii_file_values`, written with the review index): pages by
 * type and decision, totals per type, and the stored originals behind a value or a span.
 */
export class PiiFileValueRepository {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
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
         WHERE s.log_file_id = @log_file_id AND s.id IN (SELECT value FROM json_each(@ids))`,
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
    };
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
}
