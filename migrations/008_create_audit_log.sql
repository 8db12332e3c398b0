CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    timestamp TEXT NOT NULL DEFAULT (datetime('now')),
    action TEXT NOT NULL, -- e.g., 'ai_send', 'publish_to_confluence'
    entity_type TEXT NOT NULL, -- e.g., 'issue', 'document'
    entity_id TEXT NOT NULL,
    user_id TEXT DEFAULT 'local',
    details TEXT -- JSON with hashes, log_file_ids, etc.
);
