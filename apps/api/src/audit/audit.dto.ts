import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';
import { PositionedAuditEntry } from '@tftsr/db';
import { OptionalTime, PageQuery } from '../common/validation';
import { ApiTime, toApiTime } from '../common/api-time';

export class AuditListQuery extends PageQuery({
  limit: { max: 200, default: 50 },
  cursor: { description: 'The next_cursor of the previous page.', minLength: 1, maxLength: 200 },
}) {
  @ApiPropertyOptional({ example: 'update_issue' }) @IsOptional() @IsString() @Length(1, 100) action?: string;
  @ApiPropertyOptional({ example: 'issue' }) @IsOptional() @IsString() @Length(1, 100) entity_type?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 200) entity_id?: string;
  @ApiPropertyOptional({ description: 'The API key’s name, or `local` for the command-line tool.' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  user_id?: string;
  @OptionalTime('Entries at or after this time.') from?: string;
  @OptionalTime('Entries before this time.') to?: string;
}

export class AuditEntryResponse {
  @ApiProperty() id: string;
  @ApiTime() timestamp: string;
  @ApiProperty() action: string;
  @ApiProperty() entity_type: string;
  @ApiProperty() entity_id: string;
  @ApiProperty() user_id: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'Ids, hashes, counts and field names; never content.',
  })
  details: Record<string, unknown> | null;
  @ApiProperty() prev_hash: string;
  @ApiProperty() entry_hash: string;
}

export class AuditListResponse {
  @ApiProperty({ type: AuditEntryResponse, isArray: true }) items: AuditEntryResponse[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page.' })
  next_cursor: string | null;
}

export class BrokenEntry {
  @ApiProperty({ type: String, nullable: true, description: 'Null when entries were cut off the end of the chain.' }) id: string | null;
  @ApiProperty({ description: '1-based position in the chain.' }) position: number;
  @ApiProperty() reason: string;
}

export class AuditVerifyResponse {
  @ApiProperty() intact: boolean;
  @ApiProperty({ description: 'Entries checked.' }) entries: number;
  @ApiProperty({ type: String, nullable: true, description: 'The last entry’s hash when the chain is intact; anchor it elsewhere.' })
  head_hash: string | null;
  @ApiPropertyOptional({ type: BrokenEntry, description: 'Only when the chain is broken.' }) first_broken?: BrokenEntry;
}

export function toAuditEntryResponse(row: PositionedAuditEntry): AuditEntryResponse {
  return {
    id: row.id,
    timestamp: toApiTime(row.timestamp),
    action: row.action,
    entity_type: row.entity_type,
    entity_id: row.entity_id,
    user_id: row.user_id,
    details: parseDetails(row.details),
    prev_hash: row.prev_hash,
    entry_hash: row.entry_hash,
  };
}

function parseDetails(details: string | null): Record<string, unknown> | null {
  if (details === null) return null;
  try {
    const parsed: unknown = JSON.parse(details);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : { value: parsed };
  } catch {
    return { unparsed: details };
  }
}
