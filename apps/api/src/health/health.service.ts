import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { describeRedisTopology } from '@tftsr/config';
import { Db, DB, loadMigrations, migrationStatus } from '@tftsr/db';
import { describeSkew, measureClockSkew, readEvictionPolicy, readReportedSkews, REQUIRED_EVICTION_POLICY, skewTooLarge } from '@tftsr/jobs';
import { ApiConfig } from '../config/api.config';
import { JobProducer } from '../queue/job-producer.service';
import { Check, checkDatabase, checkDiskSpace, checkOutbox, checkStuckFiles, checkWriteLock, redisUnreachable } from './readiness-checks';

export type { Check } from './readiness-checks';

export const CHECK_NAMES = [
  'database',
  'database_lock',
  'migrations',
  'redis',
  'redis_eviction_policy',
  'disk_space',
  'outbox',
  'stuck_files',
  'clock',
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export interface Readiness {
  ready: boolean;
  checks: Record<CheckName, Check>;
}

const REDIS_TIMEOUT_MS = 1500;

/**
 * /health/ready: each check names its reason when it fails. A wrong key never gets here: the process
 * refuses to start (one line on stderr, exit 1), so readiness is simply unreachable.
 */
@Injectable()
export class HealthService implements OnApplicationBootstrap {
  private readonly logger = new Logger('HealthService');
  private readonly migrationFiles = loadMigrations();
  /** Since when the producer's Redis connection has been ready; null while it is not. */
  private redisUpSince: number | null;
  private redisLastError: NodeJS.ErrnoException | undefined;
  private readonly redisWhere: { where: string; variable: string };

  constructor(
    @Inject(DB) private readonly db: Db,
    private readonly producer: JobProducer,
    private readonly config: ApiConfig,
  ) {
    const connection = producer.connection;
    this.redisUpSince = connection.status === 'ready' ? Date.now() : null;
    connection.on('ready', () => (this.redisUpSince ??= Date.now()));
    connection.on('close', () => (this.redisUpSince = null));
    connection.on('error', (err: NodeJS.ErrnoException) => (this.redisLastError = err));
    connection.on('ready', () => (this.redisLastError = undefined));
    // Addresses only: the URL and the variables may carry a password.
    this.redisWhere = describeRedisTopology(config.redis);
  }

  /** One warning at start when this process's clock is off from Redis TIME (readiness keeps saying so). */
  onApplicationBootstrap(): void {
    const check = async () => {
      try {
        const skew = await withTimeout(measureClockSkew(this.producer.connection), REDIS_TIMEOUT_MS);
        if (skewTooLarge(skew)) this.logger.warn(describeSkew(`the API (pid ${process.pid})`, skew));
      } catch (err) {
        this.logger.warn(`could not compare the clock with Redis TIME at start: ${(err as Error).message}`);
      }
    };
    // Redis may come up after the API: compare as soon as it is there.
    if (this.producer.connection.status === 'ready') void check();
    else this.producer.connection.once('ready', () => void check());
  }

  async readiness(): Promise<Readiness> {
    const database = checkDatabase(this.db);
    const databaseUp = database.ok;
    const unavailable = { ok: false, reason: 'database unavailable' };
    const [database_lock, [redis, redis_eviction_policy], disk_space, clock] = await Promise.all([
      databaseUp ? checkWriteLock(this.db, this.config.TFTSR_READY_DB_LOCK_MS) : unavailable,
      this.checkRedis(),
      checkDiskSpace(this.config.dataDir, this.config.TFTSR_MIN_FREE_DISK_BYTES).catch((err: Error) => ({
        ok: false,
        reason: `cannot read free space: ${err.message}`,
      })),
      this.checkClock(),
    ]);
    const migrations = databaseUp ? this.checkMigrations() : unavailable;
    const redisUpFor = redis.ok && this.redisUpSince !== null ? Date.now() - this.redisUpSince : null;
    const outbox = databaseUp ? this.guard(() => checkOutbox(this.db, redisUpFor, this.config.TFTSR_READY_OUTBOX_MAX_AGE_MS)) : unavailable;
    const stuck_files = databaseUp ? this.guard(() => checkStuckFiles(this.db, this.config.TFTSR_STUCK_FILE_MS)) : unavailable;
    const checks = { database, database_lock, migrations, redis, redis_eviction_policy, disk_space, outbox, stuck_files, clock };
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  }

  private checkMigrations(): Check {
    return this.guard(() => {
      const { pending } = migrationStatus(this.db, this.migrationFiles);
      return pending.length
        ? { ok: false, reason: `pending migrations: ${pending.join(', ')}; restart the API or run \`tftsr db migrate\`` }
        : { ok: true };
    });
  }

  private async checkRedis(): Promise<[Check, Check]> {
    const redis = this.producer.connection;
    try {
      await withTimeout(redis.ping(), REDIS_TIMEOUT_MS);
      const policy = await withTimeout(readEvictionPolicy(redis), REDIS_TIMEOUT_MS);
      const policyOk = policy === REQUIRED_EVICTION_POLICY;
      return [
        { ok: true },
        policyOk
          ? { ok: true }
          : {
              ok: false,
              reason: `maxmemory-policy is ${policy ?? 'unknown'}; BullMQ needs ${REQUIRED_EVICTION_POLICY} or jobs can be lost or run twice`,
            },
      ];
    } catch (err) {
      return [redisUnreachable(this.redisWhere, this.redisLastError, err), { ok: false, reason: 'redis is unreachable' }];
    }
  }

  /** This API's clock and every worker's (as they report it) against Redis TIME. */
  private async checkClock(): Promise<Check> {
    try {
      const redis = this.producer.connection;
      const own = await withTimeout(measureClockSkew(redis), REDIS_TIMEOUT_MS);
      const reported = await withTimeout(readReportedSkews(redis, this.config.queuePrefix), REDIS_TIMEOUT_MS);
      const off = [{ who: `the API (pid ${process.pid})`, skewMs: own }, ...reported].filter((c) => skewTooLarge(c.skewMs));
      return off.length ? { ok: false, reason: off.map((c) => describeSkew(c.who, c.skewMs)).join('; ') } : { ok: true };
    } catch {
      // Plain words (issue 20): the Redis check beside it already says why Redis cannot be reached.
      return { ok: false, reason: 'cannot compare clocks: redis is unreachable or did not answer TIME' };
    }
  }

  private guard(check: () => Check): Check {
    try {
      return check();
    } catch (err) {
      return { ok: false, reason: (err as Error).message };
    }
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
