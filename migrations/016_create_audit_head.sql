-- The chain alone cannot show that its newest entries were cut off; this row, HMAC'd like the entries,
-- records how long the chain is and where it ends.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    entry_count INTEGER NOT NULL,
    head_hash TEXT NOT NULL,
    mac TEXT NOT NULL
);
