import { ApiProperty } from '@nestjs/swagger';
import type { LogChunkRow, LogStreamRow } from '@tftsr/db';
import { ApiTime, toApiTime } from '../common/api-time';

export class LogChunkResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: '1, 2, ... within the stream' }) seq: number;
  @ApiProperty({ enum: ['open', 'closing', 'closed'] }) state: string;
  @ApiProperty({ description: 'UTF-8 bytes so far; span offsets of its log file are byte offsets within the chunk' }) bytes: number;
  @ApiProperty() lines: number;
  @ApiTime() opened_at: string;
  @ApiTime({ nullable: true }) closed_at: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    format: 'uuid',
    description: 'The log file the closed chunk became (scanned and reviewed like an upload).',
  })
  log_file_id: string | null;
}

export class LogStreamResponse {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: "The stream name: the NDJSON route's :stream, Loki's labels, or bulk[-host]." }) name: string;
  @ApiProperty({ enum: ['loki', 'bulk', 'lines'] }) source: string;
  @ApiTime() created_at: string;
  @ApiProperty({ type: [LogChunkResponse] }) chunks: LogChunkResponse[];
}

export class LogStreamListResponse {
  @ApiProperty({ type: [LogStreamResponse] }) data: LogStreamResponse[];
}

export function toLogStreamResponse(stream: LogStreamRow, chunks: LogChunkRow[]): LogStreamResponse {
  return {
    id: stream.id,
    name: stream.name,
    source: stream.source,
    created_at: toApiTime(stream.created_at),
    chunks: chunks.map((c) => ({
      id: c.id,
      seq: c.seq,
      state: c.state,
      bytes: c.bytes,
      lines: c.lines,
      opened_at: toApiTime(c.opened_at),
      closed_at: toApiTime(c.closed_at),
      log_file_id: c.log_file_id,
    })),
  };
}
