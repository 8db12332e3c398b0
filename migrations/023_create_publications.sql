-- Publishing (issue 6). One row per remote object we own: a document published to a service, or an issue's
-- own ServiceNow incident (document_id NULL). Publishing again updates the same object. The remote id is
-- stored as soon as the remote answers, so every retry finds the object instead of creating a second one.
CREATE TABLE publications (
    id TEXT PRIMARY KEY,
    issue_id TEXT NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    document_id TEXT REFERENCES documents(id) ON DELETE CASCADE,
    service TEXT NOT NULL CHECK (service IN ('confluence', 'servicenow', 'azuredevops')),
    options TEXT NOT NULL DEFAULT '{}', -- JSON: target options of the latest request (parent page, table, work item type)
    state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'published', 'failed')),
    remote_id TEXT,
    remote_url TEXT,
    remote_display_id TEXT, -- INC0010002, #42
    sent_sha256 TEXT, -- SHA-256 of the title and body last sent
    redacted_by_gate INTEGER NOT NULL DEFAULT 0, -- 1 when the PII gate redacted what was last sent
    attempts INTEGER NOT NULL DEFAULT 0, -- attempts of the current request
    last_error TEXT,
    pii_findings TEXT, -- JSON: the masked spans that stopped the last request
    next_attempt_at INTEGER, -- ms since epoch, when a retry is scheduled
    requested_by TEXT NOT NULL,
    created_at INTEGER NOT NULL, -- ms since epoch
    updated_at INTEGER NOT NULL,
    published_at INTEGER
);
CREATE UNIQUE INDEX idx_publications_document_service ON publications(document_id, service) WHERE document_id IS NOT NULL;
CREATE UNIQUE INDEX idx_publications_issue_service ON publications(issue_id, service) WHERE document_id IS NULL;
CREATE INDEX idx_publications_issue_id ON publications(issue_id);

