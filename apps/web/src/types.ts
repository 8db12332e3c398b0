/** The API's JSON, as the screens use it (snake_case, as the API speaks). */
import type { Scope } from './api';

export interface WhoAmI {
  name: string;
  scopes: Scope[];
}

export type Severity = 'critical' | 'high' | 'medium' | 'low';
export type IssueStatus = 'open' | 'investigating' | 'resolved' | 'closed';

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
  tags: string[];
  snippet?: string | null;
}

export interface LogFile {
  id: string;
  issue_id: string;
  file_name: string;
  file_size: number | null;
  mime_type: string | null;
  content_hash: string | null;
  uploaded_at: string;
  redacted: boolean;
  status?: 'pending' | 'hashing' | 'scanning' | 'ready' | 'failed';
  progress?: number;
  failure_reason?: string | null;
  pii_counts?: Record<string, number> | null;
  redaction?: { version: number | null; finalized_at: string | null; pending: boolean };
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

export interface Conversation {
  id: string;
  title?: string | null;
  created_at?: string;
  [key: string]: unknown;
}

export interface LogChunk {
  id: string;
  seq: number;
  state: 'open' | 'closing' | 'closed';
  bytes: number;
  lines: number;
  opened_at: string;
  closed_at: string | null;
  log_file_id: string | null;
}

/** Lines sent by a log shipper (Loki push, _bulk or NDJSON), in chunks that close into log files. */
export interface LogStream {
  id: string;
  name: string;
  source: 'loki' | 'bulk' | 'lines';
  created_at: string;
  chunks: LogChunk[];
}

/** GET /v1/issues/:id: the issue's fields, with its lists (the shape POST and PATCH answer with too). */
export interface IssueDetail extends Issue {
  log_files: LogFile[];
  resolution_steps: ResolutionStep[];
  conversations: Conversation[];
  log_streams: LogStream[];
}

export interface DocumentSummary {
  id: string;
  issue_id: string;
  doc_type: string;
  title: string;
  created_at: string;
  updated_at: string;
}

export interface DocumentFull extends DocumentSummary {
  content_md: string;
}

export interface Publication {
  id: string;
  document_id: string | null;
  service: string;
  state: 'queued' | 'published' | 'failed';
  remote_url: string | null;
  remote_display_id: string | null;
  last_error: string | null;
  attempts: number;
  pii_findings: { pii_type: string; field: string; masked: string }[] | null;
  updated_at: string;
  published_at: string | null;
}

export interface Integration {
  service: string;
  configured: boolean;
  base_url: string | null;
  username: string | null;
  project_name: string | null;
  space_key: string | null;
  auto_create_enabled: boolean;
  updated_at: string | null;
  credential: { set: boolean; created_at: string | null; expires_at: string | null; expired: boolean };
}

export interface ApiKeyItem {
  id: string;
  name: string;
  key_prefix: string;
  scopes: Scope[];
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface Setting {
  key: string;
  value: unknown;
  is_default: boolean;
  updated_at: string | null;
  description: string;
}

/** The review contract (redaction issue): distinct values, lines with spans, decisions. */
export type Decision = 'redact' | 'keep';

export interface PiiValue {
  value_id: string;
  type: string;
  masked: string;
  count: number;
  first_line: number;
  decision: Decision;
  decided: boolean;
  /** Only with reveal=true; null once wiped. */
  value?: string | null;
}

export interface PiiTotals {
  totals: { type: string; spans: number; values: number; kept: number }[];
  spans: number;
  values: number;
}

export interface LineSpan {
  span_id: string;
  type: string;
  start: number;
  end: number;
  /** null for a manual span. */
  value_id: string | null;
  decision: Decision;
  source: 'detector' | 'manual';
}

export interface Line {
  number: number;
  byte_start: number;
  byte_end: number;
  text: string;
  spans: LineSpan[];
}

export interface LinesPage {
  from: number;
  count: number;
  total_lines: number | null;
  lines: Line[];
}
