-- Redaction of a log file (issue 5). The seed's tables stay as they are: a request is a row here, written
-- with its outbox job; the finished redaction is one row per file, written with redacted = 1.
CREATE TABLE redaction_requests (
    id TEXT PRIMARY KEY,
    log_file_id TEXT NOT NULL REFERENCES log_files(id) ON DELETE CASCADE,
    span_ids TEXT, -- JSON array of pii_spans ids, sorted; NULL approves every span of the file
    requested_by TEXT NOT NULL, -- the API key's name
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
    failure_reason TEXT,
    created_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX idx_redaction_requests_log_file_id ON redaction_requests(log_file_id);
-- At most one request per file is in flight; the API checks first, this makes it true under races.
CREATE UNIQUE INDEX idx_redaction_requests_one_pending ON redaction_requests(log_file_id) WHERE state = 'pending';

CREATE TABLE log_file_redactions (
    log_file_id TEXT PRIMARY KEY REFERENCES log_files(id) ON DELETE CASCADE,
    request_id TEXT NOT NULL UNIQUE REFERENCES redaction_requests(id) ON DELETE CASCADE,
    redacted_path TEXT NOT NULL, -- the encrypted blob of the redacted content, relative to the data directory
    redacted_size INTEGER NOT NULL, -- plaintext bytes
    original_sha256 TEXT NOT NULL,
    redacted_sha256 TEXT NOT NULL,
    span_count INTEGER NOT NULL, -- approved spans, before merging
    counts_by_type TEXT NOT NULL, -- JSON object: PII type -> approved spans
    created_at TEXT NOT NULL
);

-- The span listing pages by (start_offset, id) within a file.
CREATE INDEX idx_pii_spans_log_file_start ON pii_spans(log_file_id, start_offset, id);
