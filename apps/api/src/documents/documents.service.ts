import { Injectable } from '@nestjs/common';
import {
  AuditLogRepository,
  CredentialRepository,
  Document,
  DocumentRepository,
  GroupCommit,
  IntegrationConfigRepository,
  IssueRepository,
  LogFileRepository,
  newId,
  ResolutionStepRepository,
  toDbMillis,
} from '@tftsr/db';
import { credentialExpired, htmlPage } from '@tftsr/integrations';
import { TextRedactor } from '../settings/text-redactor.service';
import { DomainError, ErrorCode } from '../common/domain-error';
import { Download } from '../log-files/download';
import { OutboxRelay } from '../outbox/outbox-relay.service';
import { PublicationRequests } from '../publishing/publication-requests.service';
import { DocType, renderDocument, TimelineEvent } from './document-templates';
import {
  DocumentListResponse,
  DocumentResponse,
  PublicationListResponse,
  PublishAcceptedResponse,
  PublishDocumentBody,
  toDocumentResponse,
  toDocumentSummary,
  toPublicationResponse,
  UpdateDocumentBody,
} from './documents.dto';

/** A timeline longer than this keeps its first events; a document is read by people. */
const TIMELINE_LIMIT = 500;

/**
 * RCAs and post-mortems: generated from an issue's data, stored (the desktop app never stored them), edited,
 * exported and published. Content is stored as written; the worker's PII gate checks it before it leaves.
 */
@Injectable()
export class DocumentsService {
  constructor(
    private readonly group: GroupCommit,
    private readonly issues: IssueRepository,
    private readonly steps: ResolutionStepRepository,
    private readonly logFiles: LogFileRepository,
    private readonly audit: AuditLogRepository,
    private readonly publications: PublicationRequests,
    private readonly relay: OutboxRelay,
    private readonly redactor: TextRedactor,
    private readonly documents: DocumentRepository,
    private readonly configs: IntegrationConfigRepository,
    private readonly credentials: CredentialRepository,
  ) {}

  async generate(issueId: string, docType: DocType, actor: string): Promise<DocumentResponse> {
    const result = await this.group.run(() => {
      const issue = this.issues.findById(issueId);
      if (!issue) throw new DomainError(ErrorCode.ISSUE_NOT_FOUND, `no issue ${issueId}`);
      const now = new Date();
      const rendered = renderDocument(docType, {
        issue,
        steps: this.steps.listForIssue(issueId),
        logFiles: this.logFiles.listForIssue(issueId),
        timeline: this.timeline(issueId),
        generatedAt: now,
      });
      const doc: Document = {
        id: newId(),
        issue_id: issueId,
        doc_type: docType,
        ...rendered,
        created_at: toDbMillis(now),
        updated_at: toDbMillis(now),
      };
      this.documents.insert(doc);
      this.audit.append({
        action: docType === 'rca' ? 'generate_rca' : 'generate_postmortem',
        entity_type: 'document',
        entity_id: doc.id,
        user_id: actor,
        details: { issue_id: issueId, doc_type: docType, content_bytes: Buffer.byteLength(doc.content_md) },
      });
      const tickets = this.publications.autoPublishDocument(issueId, doc.id, actor);
      return { doc, tickets };
    });
    if (result.tickets.some((t) => t.queued)) this.relay.kick();
    return toDocumentResponse(
      result.doc,
      result.tickets.map((t) => t.publication),
    );
  }

  listForIssue(issueId: string): DocumentListResponse {
    if (!this.issues.findById(issueId)) throw new DomainError(ErrorCode.ISSUE_NOT_FOUND, `no issue ${issueId}`);
    return { items: this.documents.listForIssue(issueId).map(toDocumentSummary) };
  }

  get(id: string): DocumentResponse {
    return toDocumentResponse(this.getOrThrow(id), this.publications.listForDocument(id));
  }

  async update(id: string, body: UpdateDocumentBody, actor: string): Promise<DocumentResponse> {
    const fields = (['title', 'content_md'] as const).filter((f) => body[f] !== undefined);
    if (fields.length === 0) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, 'nothing to update: give title, content_md or both', {
        problems: ['the body changes no field'],
      });
    }
    return this.group.run(() => {
      const before = this.getOrThrow(id);
      const after: Document = {
        ...before,
        title: body.title ?? before.title,
        content_md: body.content_md ?? before.content_md,
        updated_at: Math.max(toDbMillis(), before.updated_at + 1),
      };
      this.documents.update(after);
      this.audit.append({
        action: 'update_document',
        entity_type: 'document',
        entity_id: id,
        user_id: actor,
        details: { issue_id: before.issue_id, fields, content_bytes: Buffer.byteLength(after.content_md) },
      });
      return toDocumentResponse(after, this.publications.listForDocument(id));
    });
  }

  async delete(id: string, actor: string): Promise<void> {
    await this.group.run(() => {
      const doc = this.getOrThrow(id);
      this.documents.delete(id);
      this.audit.append({
        action: 'delete_document',
        entity_type: 'document',
        entity_id: id,
        user_id: actor,
        details: { issue_id: doc.issue_id, doc_type: doc.doc_type },
      });
    });
  }

  /**
   * The Markdown as written, or sanitised HTML rendered from it; an attachment either way. An export leaves the
   * service, so it passes the exit gate like a publication: the title (also the file name) and the body as
   * written, then the page exactly as sent.
   */
  async export(id: string, format: 'md' | 'html', actor: string): Promise<Download> {
    const doc = this.getOrThrow(id);
    const gated = this.redactor.gate(
      { title: { kind: 'text', text: doc.title }, content_md: { kind: 'markdown', text: doc.content_md } },
      'document',
    );
    const { title, content_md } = gated.fields;
    const page = format === 'md' ? content_md : htmlPage(title, content_md);
    if (format === 'html') this.redactor.gate({ html: { kind: 'html', text: page } }, 'rendered document', 'block');
    const body = Buffer.from(page, 'utf8');
    await this.group.run(() =>
      this.audit.append({
        action: 'export_document',
        entity_type: 'document',
        entity_id: id,
        user_id: actor,
        details: {
          issue_id: doc.issue_id,
          format,
          bytes: body.length,
          ...(gated.types.length > 0 ? { redacted_by_gate: true, redacted_types: gated.types } : {}),
        },
      }),
    );
    return {
      fileName: `${exportName(title)}.${format}`,
      mimeType: format === 'md' ? 'text/markdown; charset=utf-8' : 'text/html; charset=utf-8',
      size: body.length,
      body,
    };
  }

  async publish(id: string, body: PublishDocumentBody, actor: string): Promise<PublishAcceptedResponse> {
    const { service, ...options } = body;
    if (service === 'servicenow' && options.table === 'kb_knowledge' && !options.kb_knowledge_base) {
      throw new DomainError(ErrorCode.VALIDATION_FAILED, 'a kb_knowledge article needs kb_knowledge_base', {
        problems: ['kb_knowledge_base is required when table is kb_knowledge'],
      });
    }
    const ticket = await this.group.run(() => {
      const doc = this.getOrThrow(id);
      if (!this.configs.get(service))
        throw new DomainError(
          ErrorCode.INTEGRATION_NOT_CONFIGURED,
          `${service} is not configured: an admin must PUT /v1/integrations/${service}/config`,
        );
      const credential = this.credentials.get(service);
      if (!credential)
        throw new DomainError(
          ErrorCode.CREDENTIAL_NOT_SET,
          `no ${service} credential is stored: an admin must PUT /v1/integrations/${service}/credential`,
        );
      if (credentialExpired(credential.expires_at))
        throw new DomainError(
          ErrorCode.CREDENTIAL_EXPIRED,
          `the ${service} credential expired at ${credential.expires_at} UTC; store a new one`,
        );
      return this.publications.request(doc.issue_id, doc.id, service, options, actor, 'request');
    });
    if (ticket.queued) this.relay.kick();
    return { publication: toPublicationResponse(ticket.publication), queued: ticket.queued, job_id: ticket.job_id };
  }

  listPublications(id: string): PublicationListResponse {
    this.getOrThrow(id);
    return { items: this.publications.listForDocument(id).map(toPublicationResponse) };
  }

  listIssuePublications(issueId: string): PublicationListResponse {
    if (!this.issues.findById(issueId)) throw new DomainError(ErrorCode.ISSUE_NOT_FOUND, `no issue ${issueId}`);
    return { items: this.publications.listForIssue(issueId).map(toPublicationResponse) };
  }

  private timeline(issueId: string): TimelineEvent[] {
    return this.audit.listForIssue(issueId, TIMELINE_LIMIT).map((entry) => ({
      timestamp: entry.timestamp,
      action: entry.action,
      description: describe(entry.action, entry.file_name, entry.details),
    }));
  }

  private getOrThrow(id: string): Document {
    const doc = this.documents.get(id);
    if (!doc) throw new DomainError(ErrorCode.DOCUMENT_NOT_FOUND, `no document ${id}`);
    return doc;
  }
}

/** A few words about an audit entry, from its ids and counts (details never hold content). */
function describe(action: string, fileName: string | null, rawDetails: string | null): string {
  let details: Record<string, unknown> = {};
  try {
    details = rawDetails ? (JSON.parse(rawDetails) as Record<string, unknown>) : {};
  } catch {
    // A desktop-app row with free-text details: described by its action alone.
  }
  if (fileName) {
    if (action === 'detect_pii' && typeof details.span_count === 'number') return `${fileName}: ${details.span_count} PII spans`;
    if (action === 'apply_redactions' && typeof details.span_count === 'number') return `${fileName}: ${details.span_count} spans redacted`;
    return fileName;
  }
  if (typeof details.status_to === 'string') return `status ${String(details.status_from)} → ${details.status_to}`;
  if (typeof details.step_order === 'number') return `why #${details.step_order}`;
  if (typeof details.remote_display_id === 'string') return String(details.remote_display_id);
  if (action === 'create_issue' && typeof details.severity === 'string') return `severity ${details.severity}`;
  // A desktop timeline event keeps its (redacted) description.
  if (details.imported_from === 'desktop' && typeof details.description === 'string') return details.description;
  return '';
}

/** The desktop app's export name rule: anything but letters, digits, - and _ becomes _. */
function exportName(title: string): string {
  return title.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 120) || 'document';
}
