-- SQLite does not index foreign keys by itself; every cascade and every per-parent listing scans without these.
CREATE INDEX idx_log_files_issue_id ON log_files(issue_id);
CREATE INDEX idx_pii_spans_log_file_id ON pii_spans(log_file_id);
CREATE INDEX idx_ai_conversations_issue_id ON ai_conversations(issue_id);
CREATE INDEX idx_ai_messages_conversation_id ON ai_messages(conversation_id);
CREATE INDEX idx_resolution_steps_issue_id ON resolution_steps(issue_id);
CREATE INDEX idx_documents_issue_id ON documents(issue_id);
CREATE INDEX idx_image_attachments_issue_id ON image_attachments(issue_id);
