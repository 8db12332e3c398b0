import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class LiveResponse {
  @ApiProperty({ enum: ['ok'] }) status: 'ok';
}

export class CheckResponse {
  @ApiProperty() ok: boolean;
  @ApiPropertyOptional({ description: 'Why the check failed, in words an operator can act on.' }) reason?: string;
}

export class ReadinessChecks {
  @ApiProperty({ type: CheckResponse }) database: CheckResponse;
  @ApiProperty({ type: CheckResponse }) migrations: CheckResponse;
  @ApiProperty({ type: CheckResponse }) redis: CheckResponse;
  @ApiProperty({ type: CheckResponse }) redis_eviction_policy: CheckResponse;
}

export class ReadinessResponse {
  @ApiProperty() ready: boolean;
  @ApiProperty({ type: ReadinessChecks }) checks: ReadinessChecks;
}
