import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsOptional, IsString, Length, Matches, MaxLength, ValidateIf } from 'class-validator';
import { ImageAttachment, Issue, IssueSort, IssueStatus, LogFile, Severity, SortOrder } from '@tftsr/db';
import { OptionalTime, PageQuery, ToArray, ToBoolean } from '../common/validation';
import { ConversationResponse } from '../conversations/conversations.dto';
import { LogStreamResponse } from '../log-streams/log-streams.dto';
import { ResolutionStepResponse } from '../resolution-steps/resolution-steps.dto';
import { ApiTime, toApiTime } from '../common/api-time';

export const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low'];
export const STATUSES: IssueStatus[] = ['open', 'investigating', 'resolved', 'closed'];
const SORTS: IssueSort[] = ['relevance', 'updated_at', 'created_at', 'severity'];
const ORDERS: SortOrder[] = ['desc', 'asc'];
export const MAX_TAGS = 50;
const MAX_TAG_LENGTH = 64;
const MAX_DESCRIPTION = 50_000;

/** Duplicates are dropped (first one kept) before the count is checked. */
/** Tags: a JSON array of strings, de-duplicated, at most MAX_TAGS, each 1 to MAX_TAG_LENGTH characters. */
const TagList = () =>
  applyDecorators(
    Transform(({ value }: { value: unknown }) => (Array.isArray(value) ? [...new Set(value as unknown[])] : value)),
    IsArray(),
    ArrayMaxSize(MAX_TAGS),
    IsString({ each: true }),
    Length(1, MAX_TAG_LENGTH, { each: true }),
  );

const NOT_BLANK = /\S/;

export class CreateIssueBody {
  @ApiProperty({ minLength: 1, maxLength: 500 })
  @IsString()
  @Length(1, 500)
  @Matches(NOT_BLANK, { message: 'title must not be blank' })
  title: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: MAX_DESCRIPTION })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_DESCRIPTION)
  description?: string | null;

  @ApiProperty({ enum: SEVERITIES })
  @IsIn(SEVERITIES)
  severity: Severity;

  @ApiPropertyOptional({ enum: STATUSES, default: 'open' })
  @IsOptional()
  @IsIn(STATUSES)
  status?: IssueStatus;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 100, example: 'kubernetes' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  category?: string | null;

  @ApiPropertyOptional({ maxLength: 64, default: 'api', description: 'Where the issue came from.' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  source?: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  assigned_to?: string | null;

  @ApiPropertyOptional({ type: [String], maxItems: MAX_TAGS, description: `De-duplicated; each 1 to ${MAX_TAG_LENGTH} characters.` })
  @IsOptional()
  @TagList()
  tags?: string[];
}

/** Absent fields stay as they are; null clears a nullable field. */
export class UpdateIssueBody {
  @ApiPropertyOptional({ minLength: 1, maxLength: 500 })
  @ValidateIf((_, value) => value !== undefined)
  @IsString()
  @Length(1, 500)
  @Matches(NOT_BLANK, { message: 'title must not be blank' })
  title?: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: MAX_DESCRIPTION })
  @IsOptional()
  @IsString()
  @MaxLength(MAX_DESCRIPTION)
  description?: string | null;

  @ApiPropertyOptional({ enum: SEVERITIES })
  @ValidateIf((_, value) => value !== undefined)
  @IsIn(SEVERITIES)
  severity?: Severity;

  @ApiPropertyOptional({ enum: STATUSES, description: 'Moving to resolved sets resolved_at; moving to open or investigating clears it.' })
  @ValidateIf((_, value) => value !== undefined)
  @IsIn(STATUSES)
  status?: IssueStatus;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 100 })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  category?: string | null;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  assigned_to?: string | null;

  @ApiPropertyOptional({ type: [String], maxItems: MAX_TAGS, description: 'Replaces the tags.' })
  @ValidateIf((_, value) => value !== undefined)
  @TagList()
  tags?: string[];
}

export class ListIssuesQuery extends PageQuery({
  limit: { max: 200, default: 50 },
  cursor: { description: 'The next_cursor of the previous page, with the same filters and sort.', maxLength: 2000 },
}) {
  @ApiPropertyOptional({
    maxLength: 1000,
    description: 'Full-text search of title and description. Words are matched literally (all of them); a trailing * matches a prefix.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  q?: string;

  @ApiPropertyOptional({ enum: STATUSES }) @IsOptional() @IsIn(STATUSES) status?: IssueStatus;
  @ApiPropertyOptional({ enum: SEVERITIES }) @IsOptional() @IsIn(SEVERITIES) severity?: Severity;
  @ApiPropertyOptional({ maxLength: 100 }) @IsOptional() @IsString() @MaxLength(100) category?: string;
  @ApiPropertyOptional({ maxLength: 200 }) @IsOptional() @IsString() @MaxLength(200) assigned_to?: string;

  @ApiPropertyOptional({ type: [String], description: 'Repeatable; an issue must carry every tag given.' })
  @IsOptional()
  @ToArray()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @Length(1, MAX_TAG_LENGTH, { each: true })
  tag?: string[];

  @OptionalTime('Created at or after.') created_from?: string;
  @OptionalTime('Created before.') created_to?: string;
  @OptionalTime('Updated at or after.') updated_from?: string;
  @OptionalTime('Updated before.') updated_to?: string;

  @ApiPropertyOptional({ enum: SORTS, description: 'Default: relevance with q, otherwise updated_at. relevance needs q.' })
  @IsOptional()
  @IsIn(SORTS)
  sort?: IssueSort;

  @ApiPropertyOptional({ enum: ORDERS, default: 'desc', description: 'desc: newest, most severe or best match first.' })
  @IsOptional()
  @IsIn(ORDERS)
  order?: SortOrder;

  @ApiPropertyOptional({ type: Boolean, default: false, description: 'Count every match (costs a second query).' })
  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  include_total?: boolean;
}

export class IssueResponse {
  @ApiProperty() id: string;
  @ApiProperty() title: string;
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiProperty({ enum: SEVERITIES }) severity: Severity;
  @ApiProperty({ enum: STATUSES }) status: IssueStatus;
  @ApiProperty({ type: String, nullable: true }) category: string | null;
  @ApiProperty({ type: String, nullable: true }) source: string | null;
  @ApiTime() created_at: string;
  @ApiTime() updated_at: string;
  @ApiTime({ nullable: true, description: 'Set when the issue moved to resolved.' }) resolved_at: string | null;
  @ApiProperty({ type: String, nullable: true }) assigned_to: string | null;
  @ApiProperty({ type: [String] }) tags: string[];
}

export class IssueListItem extends IssueResponse {
  @ApiProperty({ type: String, nullable: true, description: 'With q: HTML, the text escaped and each match in <mark>.' })
  snippet: string | null;
}

export class IssueListResponse {
  @ApiProperty({ type: IssueListItem, isArray: true }) items: IssueListItem[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as cursor for the next page; null on the last page.' }) next_cursor:
    string | null;
  @ApiProperty({ type: Number, nullable: true, description: 'Every match, when include_total=true; otherwise null.' }) total: number | null;
}

export class LogFileResponse {
  @ApiProperty() id: string;
  @ApiProperty() issue_id: string;
  @ApiProperty() file_name: string;
  @ApiProperty({ type: Number, nullable: true }) file_size: number | null;
  @ApiProperty({ type: String, nullable: true }) mime_type: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'SHA-256 hex of the original content.' }) content_hash: string | null;
  @ApiTime() uploaded_at: string;
  @ApiProperty() redacted: boolean;
}

export class ImageAttachmentResponse {
  @ApiProperty() id: string;
  @ApiProperty() issue_id: string;
  @ApiProperty() file_name: string;
  @ApiProperty() file_size: number;
  @ApiProperty() mime_type: string;
  @ApiProperty() upload_hash: string;
  @ApiTime() uploaded_at: string;
  @ApiProperty() pii_warning_acknowledged: boolean;
  @ApiProperty() is_paste: boolean;
}

/**
 * The seed's IssueDetail, with the issue's fields at the top level: the one shape that create, get and update
 * answer with (a new issue has empty lists).
 */
export class IssueDetailResponse extends IssueResponse {
  @ApiProperty({ type: LogFileResponse, isArray: true }) log_files: LogFileResponse[];
  @ApiProperty({ type: ImageAttachmentResponse, isArray: true }) image_attachments: ImageAttachmentResponse[];
  @ApiProperty({ type: ResolutionStepResponse, isArray: true, description: 'In step_order.' }) resolution_steps: ResolutionStepResponse[];
  @ApiProperty({ type: ConversationResponse, isArray: true }) conversations: ConversationResponse[];
  @ApiProperty({ type: LogStreamResponse, isArray: true, description: 'Streams of shipped lines (Loki, _bulk, NDJSON) and their chunks.' })
  log_streams: LogStreamResponse[];
}

export function parseTags(tags: string | null): string[] {
  if (tags === null) return [];
  try {
    const parsed: unknown = JSON.parse(tags);
    return Array.isArray(parsed) ? parsed.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}

export function toIssueResponse(row: Issue): IssueResponse {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    severity: row.severity,
    status: row.status,
    category: row.category,
    source: row.source,
    created_at: toApiTime(row.created_at),
    updated_at: toApiTime(row.updated_at),
    resolved_at: toApiTime(row.resolved_at),
    assigned_to: row.assigned_to,
    tags: parseTags(row.tags),
  };
}

/** file_path is where the server keeps the bytes: an internal detail, not part of the response. */
export function toLogFileResponse(row: LogFile): LogFileResponse {
  return {
    id: row.id,
    issue_id: row.issue_id,
    file_name: row.file_name,
    file_size: row.file_size,
    mime_type: row.mime_type,
    content_hash: row.content_hash,
    uploaded_at: toApiTime(row.uploaded_at),
    redacted: row.redacted === 1,
  };
}

export function toImageAttachmentResponse(row: ImageAttachment): ImageAttachmentResponse {
  return {
    id: row.id,
    issue_id: row.issue_id,
    file_name: row.file_name,
    file_size: row.file_size,
    mime_type: row.mime_type,
    upload_hash: row.upload_hash,
    uploaded_at: toApiTime(row.uploaded_at),
    pii_warning_acknowledged: row.pii_warning_acknowledged !== 0,
    is_paste: row.is_paste !== 0,
  };
}
