import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches, MaxLength, ValidateIf } from 'class-validator';
import { Document, IntegrationService, Publication } from '@tftsr/db';
import { SERVICES } from '../integrations/integrations.dto';
import { ApiTime, toApiTime } from '../common/api-time';

export const DOC_TYPES = ['rca', 'postmortem'] as const;
/** Confluence refuses requests over 5 MB; the Markdown stays well under, with room for the HTML it becomes. */
export const MAX_CONTENT = 1_000_000;

export class GenerateDocumentBody {
  @ApiProperty({ enum: DOC_TYPES })
  @IsIn(DOC_TYPES)
  doc_type: (typeof DOC_TYPES)[number];
}

export class UpdateDocumentBody {
  @ApiPropertyOptional({ minLength: 1, maxLength: 255 })
  @ValidateIf((_, value) => value !== undefined)
  @IsString()
  @Length(1, 255)
  @Matches(/^[^\r\n]*\S[^\r\n]*$/, { message: 'title must be one non-blank line' })
  title?: string;

  @ApiPropertyOptional({
    maxLength: MAX_CONTENT,
    description: 'Markdown. Stored as written; the PII gate checks it again before any publish.',
  })
  @ValidateIf((_, value) => value !== undefined)
  @IsString()
  @MaxLength(MAX_CONTENT)
  content_md?: string;
}

export class ExportQuery {
  @ApiPropertyOptional({ enum: ['md', 'html'], default: 'md' })
  @IsOptional()
  @IsIn(['md', 'html'])
  format?: 'md' | 'html';
}

export class PublishDocumentBody {
  @ApiProperty({ enum: SERVICES })
  @IsIn(SERVICES)
  service: IntegrationService;

  @ApiPropertyOptional({ description: 'Confluence: the page to create the new page under.' })
  @IsOptional()
  @IsString()
  @Matches(/^\d{1,20}$/, { message: 'parent_page_id must be a Confluence page id (digits)' })
  parent_page_id?: string;

  @ApiPropertyOptional({
    enum: ['incident', 'kb_knowledge'],
    default: 'incident',
    description: 'ServiceNow: an incident, or a knowledge article.',
  })
  @IsOptional()
  @IsIn(['incident', 'kb_knowledge'])
  table?: 'incident' | 'kb_knowledge';

  @ApiPropertyOptional({ description: 'ServiceNow kb_knowledge: the knowledge base sys_id (required for that table).' })
  @IsOptional()
  @IsString()
  @Matches(/^[0-9a-f]{32}$/, { message: 'kb_knowledge_base must be a ServiceNow sys_id (32 hex digits)' })
  kb_knowledge_base?: string;

  @ApiPropertyOptional({ default: 'Bug', description: 'Azure DevOps: the work item type (Bug, Task, Issue, …).' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z][A-Za-z0-9 ]{0,63}$/, { message: 'work_item_type must be a work item type name such as Bug or Task' })
  work_item_type?: string;
}

export class PiiFinding {
  @ApiProperty() pii_type: string;
  @ApiProperty({ enum: ['title', 'content_md'] }) field: string;
  @ApiProperty({ description: 'Byte offset in the field (UTF-8).' }) start: number;
  @ApiProperty() end: number;
  @ApiProperty({ description: 'Masked: never the value.' }) masked: string;
}

export class PublicationResponse {
  @ApiProperty() id: string;
  @ApiProperty() issue_id: string;
  @ApiProperty({ type: String, nullable: true }) document_id: string | null;
  @ApiProperty({ enum: SERVICES }) service: string;
  @ApiProperty({ enum: ['queued', 'published', 'failed'] }) state: string;
  @ApiProperty({ type: Object, description: 'The target options of the latest request.' }) options: Record<string, unknown>;
  @ApiProperty({ type: String, nullable: true, description: 'Confluence page id, ServiceNow sys_id, Azure DevOps work item id.' })
  remote_id: string | null;
  @ApiProperty({ type: String, nullable: true }) remote_url: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'INC0010002, #42' }) remote_display_id: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'SHA-256 of what was last sent.' }) sent_sha256: string | null;
  @ApiProperty({ description: 'The PII gate redacted what was last sent (setting publishing.pii_gate = redact).' })
  redacted_by_gate: boolean;
  @ApiProperty() attempts: number;
  @ApiProperty({ type: String, nullable: true }) last_error: string | null;
  @ApiProperty({ type: [PiiFinding], nullable: true, description: 'What stopped the publish, masked.' }) pii_findings: PiiFinding[] | null;
  @ApiTime({ nullable: true, description: 'When the next retry is due.' }) next_attempt_at: string | null;
  @ApiProperty() requested_by: string;
  @ApiTime() created_at: string;
  @ApiTime() updated_at: string;
  @ApiTime({ nullable: true }) published_at: string | null;
}

export class DocumentSummary {
  @ApiProperty() id: string;
  @ApiProperty() issue_id: string;
  @ApiProperty({ enum: DOC_TYPES }) doc_type: string;
  @ApiProperty() title: string;
  @ApiTime() created_at: string;
  @ApiTime() updated_at: string;
}

export class DocumentResponse extends DocumentSummary {
  @ApiProperty({ description: 'Markdown.' }) content_md: string;
  // Create, get and update answer with this one shape: a new document lists the publications queued automatically.
  @ApiProperty({
    type: [PublicationResponse],
    description: 'Its publications, one per service; at creation, those queued automatically (auto_create_enabled).',
  })
  publications: PublicationResponse[];
}

export class DocumentListResponse {
  @ApiProperty({ type: [DocumentSummary], description: 'Newest first, without their content.' })
  items: DocumentSummary[];
}

export class PublishAcceptedResponse {
  @ApiProperty({ type: PublicationResponse }) publication: PublicationResponse;
  @ApiProperty({ description: 'False when a publish of this document to this service was already in flight: no second job was queued.' })
  queued: boolean;
  @ApiProperty({ type: String, nullable: true }) job_id: string | null;
}

export class PublicationListResponse {
  @ApiProperty({ type: [PublicationResponse] }) items: PublicationResponse[];
}

export function toDocumentSummary(doc: Document): DocumentSummary {
  return {
    id: doc.id,
    issue_id: doc.issue_id,
    doc_type: doc.doc_type,
    title: doc.title,
    created_at: toApiTime(doc.created_at),
    updated_at: toApiTime(doc.updated_at),
  };
}

export function toDocumentResponse(doc: Document, publications: Publication[]): DocumentResponse {
  return { ...toDocumentSummary(doc), content_md: doc.content_md, publications: publications.map(toPublicationResponse) };
}

export function toPublicationResponse(p: Publication): PublicationResponse {
  return {
    id: p.id,
    issue_id: p.issue_id,
    document_id: p.document_id,
    service: p.service,
    state: p.state,
    options: JSON.parse(p.options) as Record<string, unknown>,
    remote_id: p.remote_id,
    remote_url: p.remote_url,
    remote_display_id: p.remote_display_id,
    sent_sha256: p.sent_sha256,
    redacted_by_gate: p.redacted_by_gate === 1,
    attempts: p.attempts,
    last_error: p.last_error,
    pii_findings: p.pii_findings === null ? null : (JSON.parse(p.pii_findings) as PiiFinding[]),
    next_attempt_at: toApiTime(p.next_attempt_at),
    requested_by: p.requested_by,
    created_at: toApiTime(p.created_at),
    updated_at: toApiTime(p.updated_at),
    published_at: toApiTime(p.published_at),
  };
}
