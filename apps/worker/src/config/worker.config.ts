import { Type } from 'class-transformer';
import { IsInt, IsString, Max, Min } from 'class-validator';
import { BaseConfig } from '../../../../libs/config/src';

export class WorkerConfig extends BaseConfig {
  /** Jobs each queue runs at once in this process. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(64)
  TFTSR_WORKER_CONCURRENCY = 2;

  /**
   * A job's lock lasts this long and is renewed while the job runs; a worker that dies leaves it to expire,
   * and the job runs again once the stall check finds it. Shorter means faster recovery, longer tolerates
   * a busier event loop.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  TFTSR_WORKER_LOCK_MS = 30000;

  /** How long running jobs may take to finish after SIGTERM; then they are left to stall and be retried. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  TFTSR_SHUTDOWN_GRACE_MS = 25000;

  /** Each call to Confluence, ServiceNow or Azure DevOps, from connect to the end of the answer. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(300000)
  TFTSR_PUBLISH_TIMEOUT_MS = 30000;

  /** First retry delay of a failed publish (5xx, network); doubled per attempt, with jitter. */
  @Type(() => Number)
  @IsInt()
  @Min(10)
  TFTSR_PUBLISH_BACKOFF_MS = 2000;

  /** The most a publish retry waits, whatever the attempt. */
  @Type(() => Number)
  @IsInt()
  @Min(10)
  TFTSR_PUBLISH_BACKOFF_MAX_MS = 600000;

  /** A Retry-After longer than this is cut to it (a remote asking for a day would park the job for a day). */
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  TFTSR_PUBLISH_MAX_RETRY_AFTER_MS = 3600000;

  /** The worker's Prometheus endpoint, GET /metrics without a key (so keep it off public interfaces); 0 = any free port. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  TFTSR_WORKER_METRICS_PORT = 9464;

  /** Where the metrics endpoint listens: loopback by default; 0.0.0.0 in a container, for a scraper on its network. */
  @IsString()
  TFTSR_WORKER_METRICS_HOST = '127.0.0.1';
}
