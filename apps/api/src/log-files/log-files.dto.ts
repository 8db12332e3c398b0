import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, IsUUID, MaxLength, MinLength } from 'class-validator';
import type { LogFile, LogFileProcessing, ProcessingStatus } from '@tftsr/db';
import { processingStatus } from '@tftsr/db';
import { LogFileResponse, toLogFileResponse } from '../issues/issues.dto';
import { PageQuery } from '../common/validation';
import { RedactionSummary } from './pii-review.dto';

export class IssueIdParams {
  @ApiProperty({ format: 'uuid' }) @IsUUID() id: string;
}

export class LogFileIdParams {
  @ApiProperty({ format: 'uuid' }) @IsUUID() id: string;
}

export class UploadQuery {
  @ApiPropertyOptional({ description: 'The file name, for a raw (non-multipart) body.', maxLength: 1024 })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  file_name?: string;
}

/** The seed's log file fields (as IssueDetail lists them) plus where processing stands. */
export class LogFileDetailResponse extends LogFileResponse {
  @ApiProperty({ enum: ['pending', 'hashing', 'scanning', 'ready', 'failed'] }) status: ProcessingStatus;
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 100 }) progress: number;
  @ApiProperty({ nullable: true, type: String }) failure_reason: string | null;
  @ApiProperty({ nullable: true, type: 'object', additionalProperties: { type: 'integer' }, description: 'Spans found, by PII type.' })
  pii_counts: Record<string, number> | null;
  @ApiPropertyOptional({ type: RedactionSummary, description: 'Where redaction stands (GET /v1/log-files/:id and the upload’s answer).' })
  redaction?: RedactionSummary;
}

export class ListLogFilesQuery extends PageQuery({
  limit: { max: 200, default: 50 },
  cursor: { description: 'The next_cursor of the previous page.', minLength: 1, maxLength: 200 },
}) {}

export class LogFileListResponse {
  @ApiProperty({ type: LogFileDetailResponse, isArray: true, description: 'In upload order.' }) items: LogFileDetailResponse[];
  @ApiProperty({ type: String, nullable: true, description: 'Pass as `cursor` for the next page; null on the last page.' }) next_cursor:
    string | null;
}

export function toLogFileDetailResponse(file: LogFile, processing: LogFileProcessing): LogFileDetailResponse {
  const status = processingStatus(processing);
  const hashDone = processing.hash_state === 'done' ? 1 : 0;
  const scanShare = processing.scan_state === 'done' ? 100 : processing.scan_progress;
  return {
    ...toLogFileResponse(file),
    status,
    // Hashing is fast next to scanning: it counts for a tenth of the bar.
    progress: status === 'ready' ? 100 : Math.floor(hashDone * 10 + scanShare * 0.9),
    failure_reason: processing.failure_reason,
    pii_counts: processing.pii_counts ? (JSON.parse(processing.pii_counts) as Record<string, number>) : null,
  };
}
