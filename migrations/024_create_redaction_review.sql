-- Redaction review (issue 12): redact by default, decide per value, redo until final. The seed's pii_spans stays
-- as it is; what review needs of a span lives beside it, keyed by the span id.

-- One row per reviewed file, made on first use. decisions_rev counts changes to what the redacted copy must
-- hide (decisions, manual spans), so a redact job can tell that it read a stale set.
CREATE TABLE log_file_review (
    log_file_id TEXT PRIMARY KEY REFERENCES log_files(id) ON DELETE CASCADE,
    indexed_at TEXT, -- when the line index and the value ids were built; NULL until then
    total_lines INTEGER,
    decisions_rev INTEGER NOT NULL DEFAULT 0,
    finalized_at TEXT -- originals wiped; decisions and redactions are refused from then on
);

-- Sparse line index: the byte offset of every 256th line (1, 257, 513, ...), so a window of lines decrypts
-- only the chunks it needs.
CREATE TABLE log_file_line_index (
    log_file_id TEXT NOT NULL REFERENCES log_files(id) ON DELETE CASCADE,
    line_number INTEGER NOT NULL,
    byte_start INTEGER NOT NULL,
    PRIMARY KEY (log_file_id, line_number)
) WITHOUT ROWID;

-- Per span: the opaque id of its (type, value), its line, where it came from, and a per-span override.
CREATE TABLE pii_span_review (
    span_id TEXT PRIMARY KEY REFERENCES pii_spans(id) ON DELETE CASCADE,
    log_file_id TEXT NOT NULL REFERENCES log_files(id) ON DELETE CASCADE,
    value_id TEXT NOT NULL, -- hex HMAC of (type, value) under a key of its own; never the value
    line_number INTEGER NOT NULL,
    source TEXT NOT NULL DEFAULT 'detector' CHECK (source IN ('detector', 'manual')),
    decision TEXT CHECK (decision IN ('redact', 'keep')) -- NULL: the value's decision applies
);
CREATE INDEX idx_pii_span_review_value ON pii_span_review(log_file_id, value_id);

-- The distinct values of a file, kept up to date with its spans, so listing them never groups a million rows.
CREATE TABLE pii_file_values (
    log_file_id TEXT NOT NULL REFERENCES log_files(id) ON DELETE CASCADE,
    value_id TEXT NOT NULL,
    pii_type TEXT NOT NULL,
    masked TEXT NOT NULL, -- what a reviewer without pii:reveal sees; survives finalization
    span_count INTEGER NOT NULL,
    first_line INTEGER NOT NULL,
    PRIMARY KEY (log_file_id, value_id)
) WITHOUT ROWID;
-- The listing pages by (span_count DESC, value_id), over all types or one.
CREATE INDEX idx_pii_file_values_count ON pii_file_values(log_file_id, span_count DESC, value_id);
CREATE INDEX idx_pii_file_values_type ON pii_file_values(log_file_id, pii_type, span_count DESC, value_id);

-- Decisions per value: for one file, or for every file of an issue (setting pii.decision_scope). A span's own
-- decision wins over its file's, which wins over its issue's; no decision at all means redact.
CREATE TABLE pii_file_decisions (
    log_file_id TEXT NOT NULL REFERENCES log_files(id) ON DELETE CASCADE,
    value_id TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('redact', 'keep')),
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    PRIMARY KEY (log_file_id, value_id)
) WITHOUT ROWID;
CREATE TABLE pii_issue_decisions (
    issue_id TEXT NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    value_id TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('redact', 'keep')),
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    PRIMARY KEY (issue_id, value_id)
) WITHOUT ROWID;

-- Pseudonyms ([IPv4-3]): numbered per issue and type in order of first use, keyed by an HMAC of the value.
CREATE TABLE pii_pseudonyms (
    issue_id TEXT NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    value_key TEXT NOT NULL,
    pii_type TEXT NOT NULL,
    number INTEGER NOT NULL,
    PRIMARY KEY (issue_id, value_key),
    UNIQUE (issue_id, pii_type, number)
);

-- Each apply replaces the file's redacted copy: the row says which version it is and what decisions it applied.
ALTER TABLE log_file_redactions ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE log_file_redactions ADD COLUMN decisions_rev INTEGER NOT NULL DEFAULT 0;
ALTER TABLE log_file_redactions ADD COLUMN replacement_style TEXT NOT NULL DEFAULT 'type';
-- A request that also finalizes the file once its version is written.
ALTER TABLE redaction_requests ADD COLUMN finalize INTEGER NOT NULL DEFAULT 0;
