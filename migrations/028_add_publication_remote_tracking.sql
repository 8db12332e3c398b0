-- Publishing against real services (issue 16).
-- create_sent_at: a create was sent and its outcome is unknown (timed out, connection dropped, crash). Until
-- searches over the commit window (TFTSR_PUBLISH_COMMIT_WINDOW_MS) have found nothing, no second create is sent;
-- the reconciler also searches for failed publications that still have it set. Cleared once the outcome is known.
ALTER TABLE publications ADD COLUMN create_sent_at INTEGER;
-- attached_to: the publication whose remote object this one writes into (one incident, one work item per issue);
-- NULL when the publication owns its remote object.
ALTER TABLE publications ADD COLUMN attached_to TEXT REFERENCES publications(id) ON DELETE SET NULL;
-- remote_checked_at: when the reconciler last searched the remote side for this failed publication.
ALTER TABLE publications ADD COLUMN remote_checked_at INTEGER;
-- remote_table: ServiceNow, the table the remote object lives in (incident, kb_knowledge), fixed once it exists.
ALTER TABLE publications ADD COLUMN remote_table TEXT;
