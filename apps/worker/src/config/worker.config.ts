import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { BaseConfig } from '@tftsr/config';
import { DEFAULT_PUBLISH_BACKOFF } from '@tftsr/jobs';
import type { RetryBackoff } from '@tftsr/jobs';

/** What a worker process does (issue 19, docs/SCALING.md). */
export const WORKER_ROLES = ['all', 'writer', 'scanner'] as const;
export type WorkerRole = (typeof WORKER_ROLES)[number];

export class WorkerConfig extends BaseConfig {
  /**
   * all: every queue, reading and scanning files itself (one host). writer: every queue and every database write,
   * with the reading, hashing and PII detection of files done by scanners (queue `scan`). scanner: only the queue
   * `scan`; never opens the database, holds only the blob key.
   */
  @IsIn(WORKER_ROLES)
  TFTSR_WORKER_ROLE: WorkerRole = 'all';

  /** Secret, scanner only: the blob key (64 hex digits) that `tftsr scanner export-key` writes; also as TFTSR_BLOB_KEY_FILE. */
  @IsOptional()
  @Matches(/^[0-9a-fA-F]{64}$/, { message: 'TFTSR_BLOB_KEY must be 64 hex digits (what `tftsr scanner export-key` writes)' })
  TFTSR_BLOB_KEY?: string;

  /**
   * Writer only: ingest jobs at once. Each mostly waits for a scanner, so many more than TFTSR_WORKER_CONCURRENCY:
   * enough to keep every scanner busy; each costs one job slot and a span batch while its result is committed.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(256)
  TFTSR_WRITER_INGEST_CONCURRENCY = 16;

  /**
   * Jobs each queue runs at once in this process. On the ingest queue of a worker in role `all`: jobs on files of
   * 8 MiB and more at once (each scan of those has a thread and its buffers); smaller files do not count.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(64)
  TFTSR_WORKER_CONCURRENCY = 2;

  /**
   * Role `all`: ingest jobs at once, of any size (issue 17). A small file's job mostly waits (Redis, its commit's
   * fsync): many in flight share group commits. Large files among them are bounded by TFTSR_WORKER_CONCURRENCY.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(256)
  TFTSR_WORKER_INGEST_CONCURRENCY = 16;

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

  /** The scanner's blob key (HKDF of the database key, `blob-encryption`); only for TFTSR_WORKER_ROLE=scanner. */
  get blobKey(): Buffer {
    if (!this.TFTSR_BLOB_KEY) throw new Error('no blob key: TFTSR_BLOB_KEY is unset');
    return Buffer.from(this.TFTSR_BLOB_KEY, 'hex');
  }

  protected override needsDatabaseKey(): boolean {
    return this.TFTSR_WORKER_ROLE !== 'scanner';
  }

  override crossCheck(): string[] {
    const problems = super.crossCheck();
    problems.push(...this.roleProblems());
    if (this.TFTSR_PUBLISH_COMMIT_WINDOW_MS < 2 * this.TFTSR_PUBLISH_TIMEOUT_MS) {
      problems.push(
        `TFTSR_PUBLISH_COMMIT_WINDOW_MS: must be at least twice TFTSR_PUBLISH_TIMEOUT_MS (${2 * this.TFTSR_PUBLISH_TIMEOUT_MS}), the timeout plus a margin for a late commit`,
      );
    }
    return problems;
  }

  /** Never a key's value: a secret is only said to be missing, present or malformed. */
  private roleProblems(): string[] {
    const problems: string[] = [];
    const role = this.TFTSR_WORKER_ROLE;
    if (role === 'scanner') {
      if (this.TFTSR_BLOB_STORE !== 's3')
        problems.push('TFTSR_WORKER_ROLE=scanner: needs TFTSR_BLOB_STORE=s3 (a scanner reads blobs and writes its results in the bucket)');
      if (!this.TFTSR_BLOB_KEY)
        problems.push(
          'TFTSR_BLOB_KEY: required when TFTSR_WORKER_ROLE=scanner (or TFTSR_BLOB_KEY_FILE); write it on the database host with `tftsr scanner export-key --out FILE`',
        );
      if (this.TFTSR_DB_KEY || this.TFTSR_DB_KEY_FILE)
        problems.push(
          'TFTSR_DB_KEY: a scanner must not hold the database key; give it only the blob key (TFTSR_BLOB_KEY or TFTSR_BLOB_KEY_FILE)',
        );
    } else {
      if (this.TFTSR_BLOB_KEY) problems.push(`TFTSR_BLOB_KEY: only a scanner reads it (TFTSR_WORKER_ROLE is ${role}); unset it`);
      if (role === 'writer' && this.TFTSR_BLOB_STORE !== 's3')
        problems.push('TFTSR_WORKER_ROLE=writer: needs TFTSR_BLOB_STORE=s3 (scanners on other hosts read the blobs from the bucket)');
    }
    return problems;
  }
}
