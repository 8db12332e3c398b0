-- Recovery without an operator (issue 22).
-- The restore generation: part of every outbox job id, so after `tftsr db restore` nothing Redis remembers from
-- before (a completed job id, say) can shadow a job of the restored database. Restore writes a new one; a backup
-- made before this migration gets one when it runs.
CREATE TABLE service_state (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
INSERT INTO service_state (name, value, updated_at) VALUES ('restore_generation', lower(hex(randomblob(4))), datetime('now'));

-- When a span was staged (ms since epoch), so that staging left by a dead scan can be found and swept, and
-- `db verify` can report staged original values older than the longest possible scan. 0: staged before this.
ALTER TABLE pii_span_staging ADD COLUMN staged_at INTEGER NOT NULL DEFAULT 0;
