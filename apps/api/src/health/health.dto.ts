import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class LiveResponse {
  @ApiProperty({ enum: ['ok'] }) status: 'ok';
}

export class CheckResponse {
  @ApiProperty() ok: boolean;
  @ApiPropertyOptional({ description: 'Why the check failed, in words an operator can act on.' }) reason?: string;
}

export class ReadinessChecks {
  @ApiProperty({ type: CheckResponse, description: 'The database answers (with the key the API started with).' }) database: CheckResponse;
  @ApiProperty({ type: CheckResponse, description: 'The write lock can be taken within TFTSR_READY_DB_LOCK_MS.' })
  database_lock: CheckResponse;
  @ApiProperty({ type: CheckResponse, description: 'No migration is pending.' }) migrations: CheckResponse;
  @ApiProperty({ type: CheckResponse }) redis: CheckResponse;
  @ApiProperty({ type: CheckResponse, description: 'Redis is noeviction.' }) redis_eviction_policy: CheckResponse;
  @ApiProperty({ type: CheckResponse, description: 'At least TFTSR_MIN_FREE_DISK_BYTES free on the data directory.' })
  disk_space: CheckResponse;
  @ApiProperty({ type: CheckResponse, description: 'No pending outbox row older than TFTSR_READY_OUTBOX_MAX_AGE_MS while Redis is up.' })
  outbox: CheckResponse;
  @ApiProperty({
    type: CheckResponse,
    description: 'No log file that no job is moving (unfinished for TFTSR_STUCK_FILE_MS, or with no open job).',
  })
  stuck_files: CheckResponse;
  @ApiProperty({ type: CheckResponse, description: 'The clocks of this API and of every worker within a few seconds of Redis TIME.' })
  clock: CheckResponse;
}

export class ReadinessResponse {
  @ApiProperty() ready: boolean;
  @ApiProperty({ type: ReadinessChecks }) checks: ReadinessChecks;
}
