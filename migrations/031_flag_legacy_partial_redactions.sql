-- Issue 12: a redacted copy written before redact-by-default from a partial approval (span_ids) may hold every
-- value that was not approved, in clear. Flag those copies; the worker re-redacts each flagged file once (every
-- span, since their originals were wiped and nobody can keep them), and the new version clears the flag.
ALTER TABLE log_file_redactions ADD COLUMN legacy_partial INTEGER NOT NULL DEFAULT 0;
UPDATE log_file_redactions SET legacy_partial = 1
WHERE request_id IN (SELECT id FROM redaction_requests WHERE span_ids IS NOT NULL);
