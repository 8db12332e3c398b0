import { Type } from 'class-transformer';
import { IsInt, IsString, Max, Min } from 'class-validator';
import { BaseConfig } from '@tftsr/config';
import { DEFAULT_PUBLISH_BACKOFF } from '@tftsr/jobs';
import type { RetryBackoff } from '@tftsr/jobs';

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

  /** Each call to Confluence, ServiceNow or Azure DevOps, from connect to the end of the answer. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(300000)
  TFTSR_PUBLISH_TIMEOUT_MS = 30000;

  /**
   * After a create that timed out or dropped, how long the remote may still commit it: no second create is sent
   * until searches over this window, counted from when the create was sent, have found nothing. ServiceNow and
   * Azure DevOps have been seen to commit 6 s after a request the client gave up on at 3 s. At least twice
   * TFTSR_PUBLISH_TIMEOUT_MS (the timeout plus a margin as long again).
   */
  @Type(() => Number)
  @IsInt()
  @Min(200)
  TFTSR_PUBLISH_COMMIT_WINDOW_MS = 120000;

  /** How often the worker checks failed publications whose create may have committed against the remote side. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  TFTSR_PUBLISH_RECONCILE_INTERVAL_MS = 300000;

  /** First retry delay of a failed publish (5xx, network); doubled per attempt, with jitter. */
  @Type(() => Number)
  @IsInt()
  @Min(10)
  TFTSR_PUBLISH_BACKOFF_MS = DEFAULT_PUBLISH_BACKOFF.baseMs;

  /** The most a publish retry waits, whatever the attempt. */
  @Type(() => Number)
  @IsInt()
  @Min(10)
  TFTSR_PUBLISH_BACKOFF_MAX_MS = DEFAULT_PUBLISH_BACKOFF.maxMs;

  /** A Retry-After longer than this is cut to it (a remote asking for a day would park the job for a day). */
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  TFTSR_PUBLISH_MAX_RETRY_AFTER_MS = DEFAULT_PUBLISH_BACKOFF.maxRetryAfterMs;

  /** The worker's Prometheus endpoint, GET /metrics without a key (so keep it off public interfaces); 0 = any free port. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  TFTSR_WORKER_METRICS_PORT = 9464;

  /** Where the metrics endpoint listens: loopback by default; 0.0.0.0 in a container, for a scraper on its network. */
  @IsString()
  TFTSR_WORKER_METRICS_HOST = '127.0.0.1';

  /** The backoff of publish and webhook retries (retryDelayMs in libs/jobs). */
  get publishBackoff(): RetryBackoff {
    return {
      baseMs: this.TFTSR_PUBLISH_BACKOFF_MS,
      maxMs: this.TFTSR_PUBLISH_BACKOFF_MAX_MS,
      maxRetryAfterMs: this.TFTSR_PUBLISH_MAX_RETRY_AFTER_MS,
    };
  }

  override crossCheck(): string[] {
    const problems = super.crossCheck();
    if (this.TFTSR_PUBLISH_COMMIT_WINDOW_MS < 2 * this.TFTSR_PUBLISH_TIMEOUT_MS) {
      problems.push(
        `TFTSR_PUBLISH_COMMIT_WINDOW_MS: must be at least twice TFTSR_PUBLISH_TIMEOUT_MS (${2 * this.TFTSR_PUBLISH_TIMEOUT_MS}), the timeout plus a margin for a late commit`,
      );
    }
    return problems;
  }
}
