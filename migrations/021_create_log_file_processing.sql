-- What the worker has done with each uploaded log file: the seed's log_files row holds only the results.
CREATE TABLE log_file_processing (
    log_file_id TEXT PRIMARY KEY REFERENCES log_files(id) ON DELETE CASCADE,
    hash_state TEXT NOT NULL DEFAULT 'pending' CHECK (hash_state IN ('pending', 'running', 'done', 'failed')),
    scan_state TEXT NOT NULL DEFAULT 'pending' CHECK (scan_state IN ('pending', 'running', 'done', 'failed')),
    scan_progress INTEGER NOT NULL DEFAULT 0, -- percent of the bytes scanned
    failure_reason TEXT,
    pii_counts TEXT, -- JSON object: PII type -> number of spans
    updated_at TEXT NOT NULL
);

-- Spans of a scan still running, written in small batches so that no long transaction blocks the API;
-- the finished scan swaps them into pii_spans in one transaction.
CREATE TABLE pii_span_staging (
    run_id TEXT NOT NULL,
    id TEXT NOT NULL,
    log_file_id TEXT NOT NULL REFERENCES log_files(id) ON DELETE CASCADE,
    pii_type TEXT NOT NULL,
    start_offset INTEGER NOT NULL,
    end_offset INTEGER NOT NULL,
    original_value TEXT NOT NULL,
    replacement TEXT NOT NULL,
    PRIMARY KEY (run_id, id)
);
CREATE INDEX idx_pii_span_staging_log_file_id ON pii_span_staging(log_file_id);
