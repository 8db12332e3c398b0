import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min, MinLength } from 'class-validator';
import { BaseConfig } from '@tftsr/config';
import { providerOriginProblems } from '../conversations/ai-provider-policy';

export class ApiConfig extends BaseConfig {
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '0.0.0.0';

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

  /**
   * The one origin (https://host[:port]) TFTSR_AI_API_KEY is ever sent to, given with the key at deploy time: an
   * `ai.provider_url` elsewhere never gets the key. Required with the key.
   */
  @IsOptional()
  @IsString()
  TFTSR_AI_PROVIDER_ORIGIN?: string;

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

  /** Per client address, every request (keyed or not), in Redis so that every API replica shares it. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  TFTSR_RATE_LIMIT_PER_ADDRESS_PER_MINUTE = 1200;

  /** Failed authentications one client address may make per minute; past it, that address gets 429 until the minute ends. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  TFTSR_AUTH_FAILURES_PER_ADDRESS_PER_MINUTE = 20;

  /** Failed authentications per minute from all addresses together; past it, failures get 429 (valid keys still pass). */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  TFTSR_AUTH_FAILURES_PER_MINUTE = 600;

  /**
   * Addresses or CIDRs of the reverse proxies in front (comma-separated), whose X-Forwarded-For is believed for the
   * client address; unset: none, and the limits above count the proxy's address.
   */
  @IsOptional()
  @IsString()
  TFTSR_TRUST_PROXY?: string;

  /** A request body (an upload) must arrive at least this fast, averaged over TFTSR_UPLOAD_RATE_WINDOW_MS, or it is answered 408. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  TFTSR_UPLOAD_MIN_BYTES_PER_SECOND = 1024;

  @Type(() => Number)
  @IsInt()
  @Min(100)
  TFTSR_UPLOAD_RATE_WINDOW_MS = 30000;

  /** A request body must be received whole within this time, whatever its rate (408). */
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  TFTSR_REQUEST_TIMEOUT_MS = 1800000;

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

  override crossCheck(): string[] {
    return [...super.crossCheck(), ...providerOriginProblems(this.TFTSR_AI_PROVIDER_ORIGIN, this.TFTSR_AI_API_KEY, this.NODE_ENV)];
  }

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
