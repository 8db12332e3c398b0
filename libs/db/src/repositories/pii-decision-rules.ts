/**
 * How a decision is found, as SQL shared by the repositories that read decisions (pii-decision, pii-file-value):
 * the rule lives here once. Tables: migrations/024_create_redaction_review.sql.
 */

export type PiiDecision = 'redact' | 'keep';
export type SpanSource = 'detector' | 'manual';

/**
 * What a span's decision is: its own, else its value's in the file, else its value's in the issue, else redact.
 * A span without a review row (not indexed yet) is redacted: nothing is ever kept by accident.
 * Over `pii_spans s LEFT JOIN pii_span_review r`, with @issue_id bound.
 */
export const EFFECTIVE_DECISION = `coalesce(
  r.decision,
  (SELECT fd.decision FROM pii_file_decisions fd WHERE fd.log_file_id = s.log_file_id AND fd.value_id = r.value_id),
  (SELECT idc.decision FROM pii_issue_decisions idc WHERE idc.issue_id = @issue_id AND idc.value_id = r.value_id),
  'redact')`;

/** A value's own decision: in the file, else in the issue; null when nobody decided. Over `pii_file_values v`. */
export const VALUE_DECISION = `coalesce(
  (SELECT fd.decision FROM pii_file_decisions fd WHERE fd.log_file_id = v.log_file_id AND fd.value_id = v.value_id),
  (SELECT idc.decision FROM pii_issue_decisions idc WHERE idc.issue_id = @issue_id AND idc.value_id = v.value_id))`;
