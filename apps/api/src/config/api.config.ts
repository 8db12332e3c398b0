import { Type } from 'class-transformer';
import { IsInt, IsString, Max, Min } from 'class-validator';
import { BaseConfig } from '../../../../libs/config/src';

export class ApiConfig extends BaseConfig {
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '0.0.0.0';

  /** How long in-flight requests may take to finish after SIGTERM; match compose's stop_grace_period. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  TFTSR_SHUTDOWN_GRACE_MS = 25000;
}
