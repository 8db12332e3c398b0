-- Keyset pagination of GET /v1/issues walks these in order, whatever the page.
CREATE INDEX idx_issues_updated_at ON issues(updated_at, id);
CREATE INDEX idx_issues_created_at ON issues(created_at, id);
-- The severity sort uses this exact expression (issue.repository.ts), so SQLite can walk the index.
CREATE INDEX idx_issues_severity_rank ON issues(
    (CASE severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END),
    updated_at, id
);
CREATE INDEX idx_issues_status ON issues(status);
CREATE INDEX idx_audit_log_action ON audit_log(action);
CREATE INDEX idx_audit_log_user_id ON audit_log(user_id);
