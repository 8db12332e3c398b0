-- API keys are ours, not the seed's. Only a SHA-256 of each key is kept; key_prefix is the non-secret start of
-- the key, which finds the row before the hashes are compared in constant time.
CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    key_prefix TEXT NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL, -- JSON array of 'read', 'write', 'admin', 'pii:reveal'
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at TEXT
);
CREATE INDEX idx_api_keys_key_prefix ON api_keys(key_prefix);
