import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { MAX_MANUAL_SPAN_BYTES } from '@tftsr/redaction';
import { RevealPageQuery, ToBoolean } from '../common/validation';
import { ApiTime } from '../common/api-time';

export const DECISIONS = ['redact', 'keep'] as const;
const DECISION_INPUTS = ['redact', 'keep', 'clear'] as const;
export type DecisionInput = (typeof DECISION_INPUTS)[number];
export const MAX_DECISIONS = 10_000;
export const MAX_WINDOW_LINES = 1000;
const SPAN_TYPE = /^[A-Za-z][A-Za-z0-9_-]{0,31}$/;

export class PiiValuesQuery extends RevealPageQuery({
  reveal: 'Add each value. Needs pii:reveal; audited as reveal_pii.',
  limit: { max: 500, default: 100 },
  cursor: { description: 'The next_cursor of the previous page, with the same filters.', maxLength: 500 },
}) {
  @ApiPropertyOptional({ description: 'Only values of this PII type.' })
  @IsOptional()
  @IsString()
  @Matches(SPAN_TYPE)
  type?: string;

  @ApiPropertyOptional({ enum: DECISIONS, description: 'Only values whose decision is this (undecided values count as redact).' })
  @IsOptional()
  @IsIn(DECISIONS)
  decision?: (typeof DECISIONS)[number];
}

export class PiiValueItem {
  @ApiProperty({ description: 'Opaque, stable id of the distinct (type, value): a keyed HMAC, never the value.' }) value_id: string;
  @ApiProperty({ example: 'IPv4' }) type: string;
  @ApiProperty({ example: '1***6' }) masked: string;
  @ApiProperty({ description: 'Spans holding this value in the file.' }) count: number;
  @ApiProperty({ description: '1-based line of its first span.' }) first_line: number;
  @ApiProperty({ enum: DECISIONS, description: 'What the redacted copy does with it; undecided values are redacted.' }) decision:
    'redact' | 'keep';
  @ApiProperty({ description: 'A reviewer decided (false: redacted by default).' }) decided: boolean;
  @ApiPropertyOptional({ type: String, nullable: true, description: 'Only with reveal=true; null once wiped.' }) value?: string | null;
}

export class PiiValuesResponse {
  @ApiProperty({ type: PiiValueItem, isArray: true, description: 'Most frequent first.' }) items: PiiValueItem[];
  @ApiProperty({ type: String, nullable: true }) next_cursor: string | null;
}

export class PiiTypeTotal {
  @ApiProperty() type: string;
  @ApiProperty() spans: number;
  @ApiProperty() values: number;
  @ApiProperty({ description: 'Spans the redacted copy keeps in clear.' }) kept: number;
}

export class PiiTotalsResponse {
  @ApiProperty({ type: PiiTypeTotal, isArray: true }) totals: PiiTypeTotal[];
  @ApiProperty() spans: number;
  @ApiProperty() values: number;
}

export class LinesQuery {
  @ApiPropertyOptional({ minimum: 1, default: 1, description: 'First line, 1-based.' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  from?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: MAX_WINDOW_LINES, default: 200 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_WINDOW_LINES)
  count?: number;

  @ApiPropertyOptional({
    type: Boolean,
    default: false,
    description: 'Show the detected values in clear. Needs pii:reveal; audited as reveal_pii.',
  })
  @IsOptional()
  @ToBoolean()
  @IsBoolean()
  reveal?: boolean;
}

export class LineSpan {
  @ApiProperty() span_id: string;
  @ApiProperty() type: string;
  @ApiProperty({ description: 'Offset in the line’s displayed text (UTF-16 code units, as JavaScript strings index).' }) start: number;
  @ApiProperty({ description: 'Exclusive.' }) end: number;
  @ApiProperty({ type: String, nullable: true }) value_id: string | null;
  @ApiProperty({ enum: DECISIONS }) decision: 'redact' | 'keep';
  @ApiProperty({ enum: ['detector', 'manual'] }) source: 'detector' | 'manual';
}

export class LineItem {
  @ApiProperty({ description: '1-based.' }) number: number;
  @ApiProperty({ description: 'Byte offset of the line in the original file.' }) byte_start: number;
  @ApiProperty({ description: 'Exclusive; the line feed is not part of the line.' }) byte_end: number;
  @ApiProperty({ description: 'The line with every span shown masked (or in clear with reveal=true).' }) text: string;
  @ApiProperty({ type: LineSpan, isArray: true }) spans: LineSpan[];
  @ApiPropertyOptional({ description: 'Present and true when the line is longer than 256 KiB and only its start is shown.' })
  truncated?: boolean;
}

export class LinesResponse {
  @ApiProperty() from: number;
  @ApiProperty({ description: 'Lines returned.' }) count: number;
  @ApiProperty({ type: Number, nullable: true }) total_lines: number | null;
  @ApiProperty({ type: LineItem, isArray: true }) lines: LineItem[];
}

export class DecisionEntry {
  @ApiPropertyOptional({ description: 'A value_id from pii/values: the decision applies to every span of that value.' })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  value_id?: string;

  @ApiPropertyOptional({ description: 'One span (an override that wins over its value’s decision).' })
  @IsOptional()
  @IsString()
  @Length(1, 128)
  span_id?: string;

  @ApiProperty({
    enum: DECISION_INPUTS,
    description: '`keep` (needs pii:reveal) leaves it in clear; `clear` removes the decision (back to redacted by default).',
  })
  @IsIn(DECISION_INPUTS)
  decision: DecisionInput;
}

export class DecisionsBody {
  @ApiProperty({ type: DecisionEntry, isArray: true, minItems: 1, maxItems: MAX_DECISIONS })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_DECISIONS)
  @ValidateNested({ each: true })
  @Type(() => DecisionEntry)
  decisions: DecisionEntry[];
}

export class DecisionsResponse {
  @ApiProperty() updated: number;
}

/** Either a byte range or a literal: checked by the service, since it is a rule about the fields together. */
export class ManualSpanBody {
  @ApiPropertyOptional({ minimum: 0, description: 'Byte offset in the original file.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  start?: number;

  @ApiPropertyOptional({ description: `Exclusive; at most ${MAX_MANUAL_SPAN_BYTES} bytes after start.` })
  @IsOptional()
  @IsInt()
  @Min(1)
  end?: number;

  @ApiPropertyOptional({ description: 'Every occurrence of this text (UTF-8, case-sensitive) becomes a span.', maxLength: 1024 })
  @IsOptional()
  @IsString()
  @Length(1, 1024)
  literal?: string;

  @ApiPropertyOptional({ default: 'manual', pattern: SPAN_TYPE.source })
  @IsOptional()
  @IsString()
  @Matches(SPAN_TYPE)
  type?: string;
}

export class ManualSpanItem {
  @ApiProperty() span_id: string;
  @ApiProperty() start: number;
  @ApiProperty() end: number;
  @ApiProperty() type: string;
}

export class ManualSpansResponse {
  @ApiProperty({ type: ManualSpanItem, isArray: true }) spans: ManualSpanItem[];
}

export class FinalizeResponse {
  @ApiTime({ nullable: true, description: 'Set once the finalizing redaction ran; null while it is queued.' }) finalized_at: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The redaction request that finalizes (null when the file was already final).',
  })
  request_id: string | null;
}

export class RedactionSummary {
  @ApiProperty({ type: Number, nullable: true, description: 'Version of the current redacted copy; null before the first.' }) version:
    number | null;
  @ApiTime({ nullable: true }) finalized_at: string | null;
  @ApiProperty({ description: 'A redaction is queued or running.' }) pending: boolean;
}
