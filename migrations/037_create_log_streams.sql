-- Log shippers (Loki push, Elasticsearch _bulk, NDJSON/text lines): one stream per (issue, name), each with
-- rolling chunks. Appended lines wait in log_stream_parts (inside the encrypted database, so a 2xx is as durable
-- as any commit) until their chunk closes and becomes a log_files row scanned like an upload.
CREATE TABLE log_streams (
    id TEXT PRIMARY KEY,
    issue_id TEXT NOT NULL REFERENCES issues(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('loki', 'bulk', 'lines')),
    created_at TEXT NOT NULL,
    UNIQUE (issue_id, name)
);

CREATE TABLE log_stream_chunks (
    id TEXT PRIMARY KEY,
    stream_id TEXT NOT NULL REFERENCES log_streams(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL, -- 1, 2, ... within the stream
    state TEXT NOT NULL CHECK (state IN ('open', 'closing', 'closed')),
    bytes INTEGER NOT NULL DEFAULT 0, -- UTF-8 bytes so far; a part's start_offset is the chunk's bytes before it
    lines INTEGER NOT NULL DEFAULT 0,
    opened_at TEXT NOT NULL,
    last_append_ms INTEGER NOT NULL, -- epoch milliseconds, for the idle close
    closed_at TEXT,
    log_file_id TEXT REFERENCES log_files(id) ON DELETE SET NULL,
    UNIQUE (stream_id, seq)
);
-- At most one open chunk per stream: appends go to it.
CREATE UNIQUE INDEX idx_log_stream_chunks_open ON log_stream_chunks(stream_id) WHERE state = 'open';
CREATE INDEX idx_log_stream_chunks_state ON log_stream_chunks(state);

CREATE TABLE log_stream_parts (
    chunk_id TEXT NOT NULL REFERENCES log_stream_chunks(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    start_offset INTEGER NOT NULL,
    data BLOB NOT NULL, -- whole lines, each ending in \n
    PRIMARY KEY (chunk_id, seq)
);
