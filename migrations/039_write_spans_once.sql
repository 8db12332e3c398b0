-- Issue 17: a scan writes each span once, straight into pii_spans, tagged with its run. While the run has a row
-- in pii_scan_runs its spans are hidden from every reader; the transaction that finishes the scan deletes the
-- previous set and the run's row together, so readers see the old set or the new one, never part of one. A run
-- that dies keeps its row, so its spans stay hidden until the sweep at the next start removes both.
ALTER TABLE pii_spans ADD COLUMN scan_run_id TEXT; -- NULL: manual, imported, or written before this migration

CREATE TABLE pii_scan_runs (
    run_id TEXT PRIMARY KEY,
    log_file_id TEXT NOT NULL REFERENCES log_files(id) ON DELETE CASCADE,
    started_at INTEGER NOT NULL -- ms since epoch: a run older than the longest possible scan died
);
CREATE INDEX idx_pii_scan_runs_log_file_id ON pii_scan_runs(log_file_id);

-- Staging is replaced by the hidden runs; what a scan had staged when this ran is of a scan that is gone.
DROP TABLE pii_span_staging;

-- The scan's single read also finishes the file's hash job: its open row is found without reading every open job.
CREATE INDEX idx_outbox_open_by_log_file ON outbox(job_name, json_extract(payload, '$.log_file_id'))
    WHERE state IN ('pending', 'dispatched');
