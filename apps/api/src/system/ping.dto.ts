import { ApiProperty } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';
import type { PingResult } from '@tftsr/jobs';

export class PingParams {
  @ApiProperty({ format: 'uuid' })
  @IsUUID()
  ping_id: string;
}

export class PingAcceptedResponse {
  @ApiProperty({ format: 'uuid' }) ping_id: string;
  @ApiProperty() job_id: string;
}

export class PingStatusResponse {
  @ApiProperty({ format: 'uuid' }) ping_id: string;
  @ApiProperty({ enum: ['waiting', 'active', 'delayed', 'completed', 'failed', 'unknown'] }) state: string;
  @ApiProperty({ required: false, nullable: true, type: Object }) result: PingResult | null;
}
