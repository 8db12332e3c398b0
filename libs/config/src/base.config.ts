import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min } from 'class-validator';
import { FAULT_INJECT_PATTERN, FAULT_POINTS } from './fault-injection';
import { BlobStorageConfig } from './blob-storage.config';
import { effectiveQueuePrefix, redisTopology, redisTopologyProblems, type RedisTopology } from './redis-topology';
import { LOG_LEVELS, LogLevel } from '@tftsr/telemetry/logger';
import { parseTestOrigins } from '@tftsr/integrations/target-policy';

export const SEED_FALLBACK_KEY = 'dev-key-change-in-prod';
export const SYNCHRONOUS_MODES = ['FULL', 'EXTRA', 'NORMAL'] as const;
export type SynchronousMode = (typeof SYNCHRONOUS_MODES)[number];

/** Variables both processes (and the command-line tool) share. Each app's config extends this. */
export class BaseConfig extends BlobStorageConfig {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @IsString()
  TFTSR_DATA_DIR = './data';

  @IsOptional()
  @IsString()
  TFTSR_DB_KEY?: string;

  @IsOptional()
  @IsString()
  TFTSR_DB_KEY_FILE?: string;

  /** FULL keeps the promise that a 2xx survives a power loss; see docs/ARCHITECTURE.md. */
  @IsIn(SYNCHRONOUS_MODES)
  TFTSR_DB_SYNCHRONOUS: SynchronousMode = 'FULL';

  @Type(() => Number)
  @IsInt()
  @Min(5000)
  @Max(600000)
  TFTSR_DB_BUSY_TIMEOUT_MS = 10000;

  /**
   * Group commit: the longest (ms) a write that is ready waits for the writes already under way to join its
   * transaction and fsync: uploads and shipper requests in the API, small files' scans finishing in the worker.
   * 0: no waiting, only writes ready in the same event-loop turn share one.
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(100)
  TFTSR_GROUP_COMMIT_WINDOW_MS = 5;

  @IsUrl({ protocols: ['redis', 'rediss'], require_tld: false, require_protocol: true })
  REDIS_URL = 'redis://127.0.0.1:6379';

  /**
   * Redis high availability (docs/SCALING.md): the sentinels (`host:port,…`) and the master name they monitor, or
   * the nodes of a Redis Cluster. Either replaces REDIS_URL; the passwords then come from the variables below.
   */
  @IsOptional()
  @IsString()
  TFTSR_REDIS_SENTINELS?: string;

  @IsOptional()
  @IsString()
  TFTSR_REDIS_SENTINEL_NAME?: string;

  /** Secret: the password of the sentinels themselves (`requirepass` in sentinel.conf), when they have one. */
  @IsOptional()
  @IsString()
  TFTSR_REDIS_SENTINEL_PASSWORD?: string;

  @IsOptional()
  @IsString()
  TFTSR_REDIS_CLUSTER_NODES?: string;

  /** The ACL user and (secret) password of the Redis servers behind Sentinel or in the Cluster. */
  @IsOptional()
  @IsString()
  TFTSR_REDIS_USERNAME?: string;

  @IsOptional()
  @IsString()
  TFTSR_REDIS_PASSWORD?: string;

  /**
   * Namespaces every BullMQ key, so that test runs and deployments sharing a Redis do not collide. Read it through
   * `queuePrefix`, which adds the hash tag a Cluster needs.
   */
  @IsString()
  TFTSR_QUEUE_PREFIX = 'tftsr';

  /** Log level (pino); unset: info, or warn under NODE_ENV=test. Secrets and content are redacted at every level. */
  @IsOptional()
  @IsIn(LOG_LEVELS)
  TFTSR_LOG_LEVEL?: LogLevel;

  /** 1: human-readable log lines (needs the pino-pretty dev dependency), 0: JSON; unset: pretty in development. */
  @IsOptional()
  @IsIn(['0', '1'])
  TFTSR_LOG_PRETTY?: '0' | '1';

  /**
   * Test only: comma-separated loopback origins (http://127.0.0.1:PORT) of fake Confluence/ServiceNow/Azure
   * DevOps servers that integration base URLs may point at. Refused unless NODE_ENV=test.
   */
  @IsOptional()
  @IsString()
  TFTSR_TEST_INTEGRATION_ORIGINS?: string;

  /** Test only: the crash hook of the fault suite (fault-injection.ts), `test-only:<point>`. Refused unless NODE_ENV=test. */
  @IsOptional()
  @Matches(FAULT_INJECT_PATTERN, { message: `TFTSR_FAULT_INJECT must be one of ${FAULT_POINTS.map((p) => `test-only:${p}`).join(', ')}` })
  TFTSR_FAULT_INJECT?: string;

  /** How every process connects to Redis: one server, Sentinel or Cluster. */
  get redis(): RedisTopology {
    return redisTopology(this);
  }

  /** The prefix of every key we and BullMQ write: TFTSR_QUEUE_PREFIX, hash-tagged on a Cluster. */
  get queuePrefix(): string {
    return effectiveQueuePrefix(this.TFTSR_QUEUE_PREFIX, this.redis);
  }

  get testIntegrationOrigins(): string[] {
    return parseTestOrigins(this.TFTSR_TEST_INTEGRATION_ORIGINS).origins;
  }

  get dataDir(): string {
    return resolve(this.TFTSR_DATA_DIR);
  }

  get databasePath(): string {
    return join(this.dataDir, 'tftsr.db');
  }

  /** The key, from the variable or the Docker-secrets file; null means a plain development database. */
  get databaseKey(): string | null {
    if (this.TFTSR_DB_KEY) return this.TFTSR_DB_KEY;
    if (this.TFTSR_DB_KEY_FILE) return readFileSync(this.TFTSR_DB_KEY_FILE, 'utf8').trim();
    return null;
  }

  /** Whether this process opens the database (a scanner worker does not: it must run without the key). */
  protected needsDatabaseKey(): boolean {
    return true;
  }

  crossCheck(): string[] {
    const problems: string[] = [];
    if (this.TFTSR_DB_KEY && this.TFTSR_DB_KEY_FILE) {
      problems.push('TFTSR_DB_KEY and TFTSR_DB_KEY_FILE are both set: choose one');
    }
    let key: string | null = null;
    try {
      key = this.databaseKey;
    } catch (err) {
      problems.push(`TFTSR_DB_KEY_FILE: cannot read ${this.TFTSR_DB_KEY_FILE} (${(err as NodeJS.ErrnoException).code})`);
    }
    if (key !== null && key.length < 8) problems.push('TFTSR_DB_KEY: the key must be at least 8 characters');
    if (this.needsDatabaseKey() && this.NODE_ENV === 'production' && key === null && problems.length === 0) {
      problems.push('TFTSR_DB_KEY: a database key is required when NODE_ENV=production (or set TFTSR_DB_KEY_FILE)');
    }
    if (this.NODE_ENV === 'production' && key === SEED_FALLBACK_KEY) {
      problems.push(`TFTSR_DB_KEY: the well-known fallback '${SEED_FALLBACK_KEY}' is refused in production`);
    }
    problems.push(...redisTopologyProblems(this));
    if (this.TFTSR_TEST_INTEGRATION_ORIGINS) {
      if (this.NODE_ENV !== 'test') problems.push('TFTSR_TEST_INTEGRATION_ORIGINS: a test-only setting; refused unless NODE_ENV=test');
      problems.push(...parseTestOrigins(this.TFTSR_TEST_INTEGRATION_ORIGINS).problems);
    }
    if (this.TFTSR_FAULT_INJECT && this.NODE_ENV !== 'test') {
      problems.push('TFTSR_FAULT_INJECT: a test-only crash hook; refused unless NODE_ENV=test');
    }
    problems.push(...this.blobStorageProblems());
    return problems;
  }
}

/** The database options every process derives from the shared variables. */
export function databaseOptions(config: BaseConfig): {
  path: string;
  key: string | null;
  synchronous: SynchronousMode;
  busyTimeoutMs: number;
} {
  return {
    path: config.databasePath,
    key: config.databaseKey,
    synchronous: config.TFTSR_DB_SYNCHRONOUS,
    busyTimeoutMs: config.TFTSR_DB_BUSY_TIMEOUT_MS,
  };
}
