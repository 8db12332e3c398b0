import type { Db } from '../database';
import { toDbTimestamp } from '../ids';
import type { PiiDecision, SpanSource } from './pii-decision-rules';
import { EFFECTIVE_DECISION } from './pii-decision-rules';
import type { RedactableSummary, TypeCountRow } from './span-pages';
import { inFileOrder, summariseByType } from './span-pages';

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

/**
 * Keep or redact, per value (in a file or in every file of an issue) and per span, and the spans as those decisions
 * leave them: the review's window and what a redacted copy hides (the rule: pii-decision-rules.ts).
 */
export class PiiDecisionRepository {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
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
         WHERE s.log_file_id = @log_file_id AND s.start_offset >= @from_start AND s.start_offset < @to AND s.end_offset > @from
         ORDER BY s.start_offset, s.id`,
      ),
      toRedact: db.prepare(
        `SELECT s.id, s.pii_type, s.start_offset, s.end_offset, s.replacement, s.original_value
         FROM pii_spans s LEFT JOIN pii_span_review r ON r.span_id = s.id
         WHERE s.log_file_id = @log_file_id AND (s.start_offset, s.id) > (coalesce(@after_start, -1), coalesce(@after_id, ''))
           AND ${EFFECTIVE_DECISION} <> 'keep'
         ORDER BY s.start_offset, s.id LIMIT @limit`,
      ),
      redactSummary: db.prepare(
        `SELECT s.pii_type, count(*) AS n, max(s.end_offset) AS max_end
         FROM pii_spans s LEFT JOIN pii_span_review r ON r.span_id = s.id
         WHERE s.log_file_id = @log_file_id AND ${EFFECTIVE_DECISION} <> 'keep'
         GROUP BY s.pii_type ORDER BY s.pii_type`,
      ),
    };
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
    yield* inFileOrder(
      (after) =>
        this.stmts.toRedact.all({
          log_file_id: logFileId,
          issue_id: issueId,
          after_start: after?.[0] ?? null,
          after_id: after?.[1] ?? null,
          limit: pageSize,
        }) as SpanToRedact[],
      pageSize,
    );
  }

  summariseToRedact(logFileId: string, issueId: string): RedactableSummary {
    return summariseByType(this.stmts.redactSummary.all({ log_file_id: logFileId, issue_id: issueId }) as TypeCountRow[]);
  }
}
