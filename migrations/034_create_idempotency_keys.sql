-- The Idempotency-Key request header (IETF httpapi draft, issue 22): a POST retried with the same key gets the
-- first result instead of acting twice. One row per (API key, idempotency key); kept for a day.
CREATE TABLE idempotency_keys (
    owner TEXT NOT NULL, -- the API key's id: keys of different clients never collide
    idempotency_key TEXT NOT NULL,
    request_target TEXT NOT NULL, -- method and URL of the first request
    request_digest TEXT, -- SHA-256 of the first request's body; NULL while it is in progress
    state TEXT NOT NULL CHECK (state IN ('in_progress', 'done')),
    process_boot TEXT NOT NULL, -- the API process that took the key: an in-progress row of another boot was abandoned
    response_status INTEGER,
    response_body TEXT, -- JSON of the first result
    created_at INTEGER NOT NULL, -- ms since epoch
    PRIMARY KEY (owner, idempotency_key)
);
CREATE INDEX idx_idempotency_keys_created_at ON idempotency_keys(created_at);
