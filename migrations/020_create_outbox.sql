-- The transactional outbox: a job is a row written in the same transaction as the change that needs it, so
-- a 2xx means the job will run even if Redis is down or loses its data. The row id is the BullMQ job id.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    queue TEXT NOT NULL,
    job_name TEXT NOT NULL,
    payload TEXT NOT NULL, -- JSON: ids only, never content or secrets
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'dispatched', 'done', 'failed')),
    dispatch_attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL, -- ms since epoch
    created_at INTEGER NOT NULL,
    dispatched_at INTEGER,
    finished_at INTEGER,
    last_error TEXT
);
CREATE INDEX idx_outbox_state_due ON outbox(state, next_attempt_at);
