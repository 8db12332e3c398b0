import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, Equals, IsArray, IsIn, IsOptional, IsString, IsUUID, Length } from 'class-validator';
import type { LogFileRedaction, PiiSpan, RedactionRequest, RedactionRequestState } from '@tftsr/db';
import { maskValue, PII_TYPE_ORDER, PiiType } from '@tftsr/pii';
import { RevealPageQuery, ToArray } from '../common/validation';
import { ApiTime, toApiTime } from '../common/api-time';

export const MAX_APPROVED_SPAN_IDS = 10_000;
const REQUEST_STATES: RedactionRequestState[] = ['pending', 'done', 'failed'];
export type ContentVariant = 'redacted' | 'original';
const VARIANTS: ContentVariant[] = ['redacted', 'original'];

export class RedactionRequestParams {
  @ApiProperty({ format: 'uuid' }) @IsUUID() id: string;
  @ApiProperty({ format: 'uuid' }) @IsUUID() request_id: string;
}

export class PiiSpanListQuery extends RevealPageQuery({
  reveal: 'Show original values. Needs the pii:reveal scope; every reveal is audited.',
  limit: { max: 500, default: 100 },
  cursor: { description: 'The next_cursor of the previous page, with the same pii_type filter.', maxLength: 500 },
}) {
  @ApiPropertyOptional({ enum: PII_TYPE_ORDER, isArray: true, description: 'Only spans of these types; repeatable.' })
  @IsOptional()
  @ToArray()
  @IsArray()
  @ArrayMaxSize(PII_TYPE_ORDER.length)
  @IsIn(PII_TYPE_ORDER, { each: true })
  pii_type?: PiiType[];
}

export class PiiSpanResponse {
  @ApiProperty() id: string;
  @ApiProperty() log_file_id: string;
  @ApiProperty({ example: 'Email' }) pii_type: string;
  @ApiProperty({ description: 'UTF-8 byte offset into the original content.' }) start_offset: number;
  @ApiProperty({ description: 'Exclusive.' }) end_offset: number;
  @ApiProperty({ example: '[Email]', description: 'What the redacted copy shows instead.' }) replacement: string;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'j***@e***.com',
    description: 'Enough to recognise the value; null once it is wiped.',
  })
  masked_value: string | null;
  @ApiProperty({ type: String, nullable: true, description: 'Only with reveal=true; null otherwise, and once wiped.' })
  original_value: string | null;
  @ApiProperty({
    description:
      'The original value is no longer stored: finalizing the file wiped it (or a redaction before issue 12 did, or the desktop app never stored it).',
  })
  wiped: boolean;
}

export class PiiSpanListResponse {
  @ApiProperty({ type: PiiSpanResponse, isArray: true, description: 'In file order.' }) items: PiiSpanResponse[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as cursor for the next page; null on the last page.' }) next_cursor:
    string | null;
}

/**
 * `{}` applies the current decisions. The legacy forms (span_ids, or all: true) still work and mean the same:
 * every span that is not kept is redacted. At most one of the two: checked by RedactionsService.
 */
export class CreateRedactionBody {
  @ApiPropertyOptional({
    type: [String],
    maxItems: MAX_APPROVED_SPAN_IDS,
    description: 'Legacy: spans of the file (checked, recorded). Every span not kept is redacted anyway.',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_APPROVED_SPAN_IDS)
  @IsString({ each: true })
  @Length(1, 128, { each: true })
  span_ids?: string[];

  @ApiPropertyOptional({ enum: [true], description: 'Legacy: the same as {}.' })
  @IsOptional()
  @Equals(true)
  all?: true;
}

export class RedactionResultResponse {
  @ApiProperty({ description: 'Redacted spans (every span not kept, before overlapping ones were merged).' }) span_count: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' } }) counts_by_type: Record<string, number>;
  @ApiProperty() original_sha256: string;
  @ApiProperty() redacted_sha256: string;
  @ApiProperty({ description: 'Bytes of the redacted copy.' }) redacted_size: number;
  @ApiTime() created_at: string;
}

export class RedactionRequestResponse {
  @ApiProperty() id: string;
  @ApiProperty({ description: 'The same as id.' }) request_id: string;
  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'The redacted version this request wrote, while it is the current one; null before.',
  })
  version: number | null;
  @ApiProperty({ enum: REQUEST_STATES, description: 'The same as state.' }) status: RedactionRequestState;
  @ApiProperty() log_file_id: string;
  @ApiProperty({ description: 'Legacy: no span_ids were sent.' }) all: boolean;
  @ApiProperty({ type: [String], nullable: true, description: 'Legacy: the span_ids sent, if any.' }) span_ids: string[] | null;
  @ApiProperty({ enum: REQUEST_STATES }) state: RedactionRequestState;
  @ApiProperty({ type: String, nullable: true }) failure_reason: string | null;
  @ApiProperty() requested_by: string;
  @ApiTime() created_at: string;
  @ApiTime({ nullable: true }) finished_at: string | null;
  @ApiPropertyOptional({ type: RedactionResultResponse, description: 'Only once done.' }) result?: RedactionResultResponse;
}

export class ContentQuery {
  @ApiPropertyOptional({ enum: VARIANTS, default: 'redacted', description: 'original needs the pii:reveal scope and is audited.' })
  @IsOptional()
  @IsIn(VARIANTS)
  variant?: ContentVariant;
}

/** A span as a reviewer sees it: masked, or revealed when asked for (the caller checks the scope and audits). */
export function toPiiSpanResponse(row: PiiSpan, reveal: boolean): PiiSpanResponse {
  const wiped = row.original_value === '';
  return {
    id: row.id,
    log_file_id: row.log_file_id,
    pii_type: row.pii_type,
    start_offset: row.start_offset,
    end_offset: row.end_offset,
    replacement: row.replacement,
    // Stored types are PiiTypes, or one of the desktop app's twelve (all of which still are); masking is generic otherwise.
    masked_value: wiped ? null : maskValue(row.pii_type as PiiType, row.original_value),
    original_value: wiped || !reveal ? null : row.original_value,
    wiped,
  };
}

export function toRedactionRequestResponse(row: RedactionRequest, result: LogFileRedaction | undefined): RedactionRequestResponse {
  return {
    id: row.id,
    request_id: row.id,
    version: result?.version ?? null,
    status: row.state,
    log_file_id: row.log_file_id,
    all: row.span_ids === null,
    span_ids: row.span_ids === null ? null : (JSON.parse(row.span_ids) as string[]),
    state: row.state,
    failure_reason: row.failure_reason,
    requested_by: row.requested_by,
    created_at: toApiTime(row.created_at),
    finished_at: toApiTime(row.finished_at),
    ...(result && {
      result: {
        span_count: result.span_count,
        counts_by_type: JSON.parse(result.counts_by_type) as Record<string, number>,
        original_sha256: result.original_sha256,
        redacted_sha256: result.redacted_sha256,
        redacted_size: result.redacted_size,
        created_at: toApiTime(result.created_at),
      },
    }),
  };
}
