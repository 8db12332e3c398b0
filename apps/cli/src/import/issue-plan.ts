import type { AiConversation, AiMessage, DesktopBundle, DesktopRow, Document, Issue, ResolutionStep } from '@tftsr/db';
import type { PiiConfig, PiiType } from '@tftsr/pii';
import { PII_TYPE_ORDER, redactBuffer, scanBuffer } from '@tftsr/pii';
import {
  keepId,
  mapSeverity,
  mapStatus,
  optionalText,
  parseDesktopMillis,
  parseDesktopTime,
  requireText,
  tagsJson,
} from './desktop-mapping';
import { CorruptRowError } from './import-errors';

type Row = DesktopRow;

export type { DesktopBundle };

/** Free text stored redacted, as this service stores what its API receives (libs/pii, settings in force). */
export class ImportRedactor {
  readonly found = new Set<PiiType>();

  constructor(private readonly config: PiiConfig) {}

  redact(text: string): string {
    const bytes = Buffer.from(text, 'utf8');
    const spans = scanBuffer(bytes, this.config);
    if (spans.length === 0) return text;
    spans.forEach((s) => this.found.add(s.pii_type));
    return redactBuffer(bytes, spans).toString('utf8');
  }

  redactNullable(text: string | null): string | null {
    return text === null ? null : this.redact(text);
  }

  types(): PiiType[] {
    return PII_TYPE_ORDER.filter((t) => this.found.has(t));
  }
}

export interface TimelineRecord {
  id: string;
  timestamp: string;
  event_type: string;
  description: string;
}

export interface PlannedFile {
  id: string;
  file_name: string;
  mime_type: string;
  uploaded_at: string;
  desktop_redacted: boolean;
  row: Row;
}

export interface PlannedImage {
  id: string;
  file_name: string;
  uploaded_at: string;
  is_paste: boolean;
  row: Row;
}

/** Every desktop row of one issue, checked and turned into ours; a row that does not fit throws CorruptRowError. */
export interface IssuePlan {
  issue: Issue;
  notes: string[];
  steps: ResolutionStep[];
  conversations: AiConversation[];
  messages: AiMessage[];
  documents: Document[];
  logFiles: PlannedFile[];
  images: PlannedImage[];
  timeline: TimelineRecord[];
}

const ROLES = new Set(['system', 'user', 'assistant']);
const DOC_TYPES = new Set(['rca', 'postmortem']);

export function planIssue(bundle: DesktopBundle, redactor: ImportRedactor): IssuePlan {
  const raw = bundle.issue;
  const id = keepId(raw.id, 'an issues row');
  const where = (table: string, row: Row) => `issue ${id}: ${table} row ${JSON.stringify(row.id)}`;
  const notes: string[] = [];
  const severity = mapSeverity(raw.severity);
  const status = mapStatus(raw.status);
  if (severity.unknown !== undefined) notes.push(`issue ${id}: unknown severity ${JSON.stringify(severity.unknown)}, imported as medium`);
  if (status.unknown !== undefined) notes.push(`issue ${id}: unknown status ${JSON.stringify(status.unknown)}, imported as open`);
  const createdAt = parseDesktopTime(raw.created_at, `issue ${id}`);
  const updatedAt = raw.updated_at == null ? createdAt : parseDesktopTime(raw.updated_at, `issue ${id}`);
  const issue: Issue = {
    id,
    title: requireText(raw.title, `issue ${id}: the title`),
    description: optionalText(raw.description),
    severity: severity.value,
    status: status.value,
    category: optionalText(raw.category),
    source: 'desktop',
    created_at: createdAt,
    updated_at: updatedAt,
    resolved_at: raw.resolved_at == null || raw.resolved_at === '' ? null : parseDesktopTime(raw.resolved_at, `issue ${id}: resolved_at`),
    assigned_to: optionalText(raw.assigned_to),
    tags: tagsJson(raw.tags),
  };

  const steps = bundle.steps.map((r): ResolutionStep => ({
    id: keepId(r.id, where('resolution_steps', r)),
    issue_id: id,
    step_order: integer(r.step_order, where('resolution_steps', r)),
    why_question: redactor.redact(requireText(r.why_question ?? '', where('resolution_steps', r))),
    answer: redactor.redactNullable(optionalText(r.answer)),
    evidence: redactor.redactNullable(optionalText(r.evidence)),
    created_at: parseDesktopTime(r.created_at, where('resolution_steps', r)),
  }));

  const conversations = bundle.conversations.map((r): AiConversation => ({
    id: keepId(r.id, where('ai_conversations', r)),
    issue_id: id,
    provider: requireText(r.provider, `${where('ai_conversations', r)}: provider`),
    model: requireText(r.model, `${where('ai_conversations', r)}: model`),
    created_at: parseDesktopTime(r.created_at, where('ai_conversations', r)),
    title: redactor.redactNullable(optionalText(r.title)),
  }));

  const messages = bundle.messages.map((r): AiMessage => {
    const role = requireText(r.role, `${where('ai_messages', r)}: role`);
    if (!ROLES.has(role)) throw new CorruptRowError(`${where('ai_messages', r)} has the role ${JSON.stringify(role)}`);
    return {
      id: keepId(r.id, where('ai_messages', r)),
      conversation_id: keepId(r.conversation_id, `${where('ai_messages', r)}: conversation_id`),
      role: role as AiMessage['role'],
      content: redactor.redact(requireText(r.content, `${where('ai_messages', r)}: content`)),
      token_count: r.token_count == null ? 0 : integer(r.token_count, where('ai_messages', r)),
      created_at: parseDesktopTime(r.created_at, where('ai_messages', r)),
    };
  });

  const documents = bundle.documents.map((r): Document => {
    const docType = requireText(r.doc_type, `${where('documents', r)}: doc_type`);
    if (!DOC_TYPES.has(docType)) throw new CorruptRowError(`${where('documents', r)} has the doc_type ${JSON.stringify(docType)}`);
    const createdMs = parseDesktopMillis(r.created_at, where('documents', r));
    return {
      id: keepId(r.id, where('documents', r)),
      issue_id: id,
      doc_type: docType as Document['doc_type'],
      title: requireText(r.title, `${where('documents', r)}: title`),
      content_md: requireText(r.content_md, `${where('documents', r)}: content_md`),
      created_at: createdMs,
      updated_at: r.updated_at == null ? createdMs : parseDesktopMillis(r.updated_at, where('documents', r)),
    };
  });

  const logFiles = bundle.logFiles.map((r): PlannedFile => ({
    id: keepId(r.id, where('log_files', r)),
    file_name: requireText(r.file_name, `${where('log_files', r)}: file_name`),
    mime_type: optionalText(r.mime_type) ?? 'text/plain',
    uploaded_at: parseDesktopTime(r.uploaded_at, where('log_files', r)),
    desktop_redacted: Number(r.redacted ?? 0) !== 0,
    row: r,
  }));

  const images = bundle.images.map((r): PlannedImage => ({
    id: keepId(r.id, where('image_attachments', r)),
    file_name: requireText(r.file_name, `${where('image_attachments', r)}: file_name`),
    uploaded_at: parseDesktopTime(r.uploaded_at, where('image_attachments', r)),
    is_paste: Number(r.is_paste ?? 0) !== 0,
    row: r,
  }));

  const timeline = bundle.timeline.map((r): TimelineRecord => ({
    id: keepId(r.id, where('timeline_events', r)),
    // Both forms: "%Y-%m-%d %H:%M:%S UTC" (the app's timeline) and without the suffix.
    timestamp: parseDesktopTime(r.created_at, where('timeline_events', r)),
    event_type: requireText(r.event_type, `${where('timeline_events', r)}: event_type`),
    description: redactor.redact(typeof r.description === 'string' ? r.description : ''),
  }));
  timeline.sort((a, b) => (a.timestamp === b.timestamp ? a.id.localeCompare(b.id) : a.timestamp.localeCompare(b.timestamp)));

  return { issue, notes, steps, conversations, messages, documents, logFiles, images, timeline };
}

function integer(raw: unknown, what: string): number {
  const n = typeof raw === 'bigint' ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isInteger(n))
    throw new CorruptRowError(`${what} has a number that is not an integer (${JSON.stringify(String(raw))})`);
  return n;
}

/**
 * Our (issue_id, step_order) is unique; the desktop allowed repeats. A new issue whose steps repeat an order
 * is renumbered 1..n in (step_order, created_at, id) order, as migration 018 did; steps added to an issue
 * imported before go after its last one when their order is taken.
 */
export function placeSteps(
  steps: ResolutionStep[],
  taken: Set<number>,
  issueIsNew: boolean,
): { steps: ResolutionStep[]; renumbered: number } {
  const orders = steps.map((s) => s.step_order);
  const repeats = new Set(orders).size !== orders.length || orders.some((o) => o < 1);
  if (issueIsNew && repeats) {
    return { steps: steps.map((s, i) => ({ ...s, step_order: i + 1 })), renumbered: steps.filter((s, i) => s.step_order !== i + 1).length };
  }
  const used = new Set(taken);
  let renumbered = 0;
  const placed = steps.map((s) => {
    if (s.step_order >= 1 && !used.has(s.step_order)) {
      used.add(s.step_order);
      return s;
    }
    const next = Math.max(0, ...used) + 1;
    used.add(next);
    renumbered += 1;
    return { ...s, step_order: next };
  });
  return { steps: placed, renumbered };
}
