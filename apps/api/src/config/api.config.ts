import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
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

  /** Secret. Becomes the first admin API key when the database has none (for containers); never logged. */
  @IsOptional()
  @IsString()
  @MinLength(32)
  @Matches(/^[\x21-\x7e]+$/, { message: 'TFTSR_BOOTSTRAP_API_KEY must be printable ASCII without spaces' })
  TFTSR_BOOTSTRAP_API_KEY?: string;

  /** Secret. Sent as the Bearer token to the AI provider; never stored in settings, returned or logged. */
  @IsOptional()
  @IsString()
  TFTSR_AI_API_KEY?: string;

  @Type(() => Number)
  @IsInt()
  @Min(1000)
  @Max(600000)
  TFTSR_AI_TIMEOUT_MS = 60000;

  /** Per API key: a token bucket refilled at this rate, holding at most TFTSR_RATE_LIMIT_BURST requests. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  TFTSR_RATE_LIMIT_PER_MINUTE = 600;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  TFTSR_RATE_LIMIT_BURST = 120;

  /** How often the outbox relay looks for rows to send to Redis (it also runs right after each commit). */
  @Type(() => Number)
  @IsInt()
  @Min(50)
  TFTSR_OUTBOX_RELAY_INTERVAL_MS = 1000;

  /** How often the reconciler looks for dispatched jobs that vanished from Redis. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  TFTSR_OUTBOX_RECONCILE_INTERVAL_MS = 15000;

  /** A dispatched row is checked against Redis once it is this old; keep it below the completed-job retention. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  TFTSR_OUTBOX_STALE_MS = 60000;

  /** A job BullMQ failed on its own (stalled too often) is dispatched afresh until its row was sent this often; then its file is failed. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  TFTSR_OUTBOX_MAX_DISPATCHES = 4;

  /** Readiness and tftsr_stuck_files count a file as stuck when nothing has moved it for this long (or nothing ever will). */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  TFTSR_STUCK_FILE_MS = 3600000;
}
