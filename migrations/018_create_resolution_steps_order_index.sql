-- step_order is unique per issue. The desktop app allowed duplicates, so a database it made may hold some:
-- those issues' steps are renumbered 1..n in their current order (step_order, then insertion) first.
CREATE TEMP TABLE step_renumbering AS
SELECT rowid AS step_rowid, row_number() OVER (PARTITION BY issue_id ORDER BY step_order, rowid) AS new_order
FROM resolution_steps
WHERE issue_id IN (SELECT issue_id FROM resolution_steps GROUP BY issue_id, step_order HAVING count(*) > 1);

UPDATE resolution_steps
SET step_order = (SELECT new_order FROM step_renumbering WHERE step_rowid = resolution_steps.rowid)
WHERE rowid IN (SELECT step_rowid FROM step_renumbering);

DROP TABLE step_renumbering;

CREATE UNIQUE INDEX idx_resolution_steps_issue_step_order ON resolution_steps(issue_id, step_order);
