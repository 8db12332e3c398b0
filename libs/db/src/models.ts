import type { IntegrationService } from '@tftsr/integrations/targets/registry';

/**
 * Row types, column for column with the seed's tables (shared/seed/Database.md). TEXT timestamps are
 * `YYYY-MM-DD HH:MM:SS` UTC; `documents` uses INTEGER milliseconds. Booleans are INTEGER 0/1.
 */
export type Severity = 'critical' | 'high' | 'medium' | 'low';
export type IssueStatus = 'open' | 'investigating' | 'resolved' | 'closed';
// The publishing targets' names come from their one registry (a type-only import: no runtime dependency).
export type { IntegrationService };

export interface Issue {
  id: string;
  title: string;
  description: string | null;
  severity: Severity;
  status: IssueStatus;
  category: string | null;
  source: string | null;
  created_at: string;
  updated_at: string;
  resolved_at: string | null;
  assigned_to: string | null;
  /** A JSON array of strings, stored as TEXT. */
  tags: string | null;
}

export interface LogFile {
  id: string;
  issue_id: string;
  file_name: string;
  file_path: string;
  file_size: number | null;
  mime_type: string | null;
  content_hash: string | null;
  uploaded_at: string;
  redacted: number | null;
}

export interface PiiSpan {
  id: string;
  log_file_id: string;
  pii_type: string;
  start_offset: number;
  end_offset: number;
  original_value: string;
  replacement: string;
}

export interface AiConversation {
  id: string;
  issue_id: string;
  provider: string;
  model: string;
  created_at: string;
  title: string | null;
}

export interface AiMessage {
  id: string;
  conversation_id: string;
  role: 'system' | 'user' | 'assistant';
  content: string;
  token_count: number | null;
  created_at: string;
}

export interface ResolutionStep {
  id: string;
  issue_id: string;
  step_order: number;
  why_question: string;
  answer: string | null;
  evidence: string | null;
  created_at: string;
}

export interface Document {
  id: string;
  issue_id: string;
  doc_type: 'rca' | 'postmortem';
  title: string;
  content_md: string;
  created_at: number;
  updated_at: number;
}

/** The seed's AuditEntry: `action`, `entity_type`, `entity_id` (not event_type, destination, status). */
export interface AuditEntry {
  id: string;
  timestamp: string;
  action: string;
  entity_type: string;
  entity_id: string;
  user_id: string;
  details: string | null;
  prev_hash: string;
  entry_hash: string;
}

export interface Setting {
  key: string;
  value: string;
  updated_at: string;
}

export interface Credential {
  id: string;
  service: IntegrationService;
  token_hash: string;
  encrypted_token: string;
  created_at: string;
  expires_at: string | null;
}

export interface IntegrationConfig {
  id: string;
  service: IntegrationService;
  base_url: string;
  username: string | null;
  project_name: string | null;
  space_key: string | null;
  auto_create_enabled: number;
  updated_at: string;
}

export interface ImageAttachment {
  id: string;
  issue_id: string;
  file_name: string;
  file_path: string;
  file_size: number;
  mime_type: string;
  upload_hash: string;
  uploaded_at: string;
  pii_warning_acknowledged: number;
  is_paste: number;
}

/** The seed's nested IssueDetail, returned by GET /v1/issues/:id. */
export interface IssueDetail {
  issue: Issue;
  log_files: LogFile[];
  image_attachments: ImageAttachment[];
  resolution_steps: ResolutionStep[];
  conversations: AiConversation[];
}
