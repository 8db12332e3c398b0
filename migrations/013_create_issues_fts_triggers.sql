-- The seed's external-content FTS table has no triggers; these keep it in step with issues.
-- The 'delete' command must be given the old values, exactly as they were indexed.
CREATE TRIGGER issues_fts_after_insert AFTER INSERT ON issues BEGIN
    INSERT INTO issues_fts(rowid, id, title, description) VALUES (new.rowid, new.id, new.title, new.description);
END;

CREATE TRIGGER issues_fts_after_delete AFTER DELETE ON issues BEGIN
    INSERT INTO issues_fts(issues_fts, rowid, id, title, description) VALUES ('delete', old.rowid, old.id, old.title, old.description);
END;

CREATE TRIGGER issues_fts_after_update AFTER UPDATE OF id, title, description ON issues BEGIN
    INSERT INTO issues_fts(issues_fts, rowid, id, title, description) VALUES ('delete', old.rowid, old.id, old.title, old.description);
    INSERT INTO issues_fts(rowid, id, title, description) VALUES (new.rowid, new.id, new.title, new.description);
END;

-- Index whatever rows existed before the triggers did (a database made by the desktop app).
INSERT INTO issues_fts(issues_fts) VALUES ('rebuild');
