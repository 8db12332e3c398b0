-- Outgoing webhooks (issue 16). An endpoint subscribes to events; each event makes one delivery per subscribed
-- endpoint (UNIQUE event_id, endpoint_id), sent by the worker through the outbox, exactly once per pair.
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    format TEXT NOT NULL CHECK (format IN ('json', 'slack')),
    display_url TEXT NOT NULL, -- what the API shows: the URL, or only the host of a Slack URL (which is a secret)
    encrypted_url TEXT NOT NULL, -- AES-256-GCM, endpoint id as associated data
    encrypted_secret TEXT, -- json: the HMAC key, AES-256-GCM; shown once at creation
    events TEXT NOT NULL, -- JSON array of event types
    enabled INTEGER NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL, -- ms since epoch
    updated_at INTEGER NOT NULL
);
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    event_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    data TEXT NOT NULL, -- JSON: ids only; the redacted title is read when sending
    state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_status INTEGER,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    delivered_at INTEGER,
    UNIQUE (event_id, endpoint_id)
);
CREATE INDEX idx_webhook_deliveries_endpoint_id ON webhook_deliveries(endpoint_id);
