import { Inject, Injectable } from '@nestjs/common';
import { Db, DB, loadMigrations, migrationStatus } from '../../../../libs/db/src';
import { readEvictionPolicy, REQUIRED_EVICTION_POLICY } from '../../../../libs/jobs/src';
import { JobProducer } from '../queue/job-producer.service';

export interface Check {
  ok: boolean;
  reason?: string;
}

export interface Readiness {
  ready: boolean;
  checks: { database: Check; migrations: Check; redis: Check; redis_eviction_policy: Check };
}

const REDIS_TIMEOUT_MS = 1500;

@Injectable()
export class HealthService {
  private readonly migrationFiles = loadMigrations();

  constructor(
    @Inject(DB) private readonly db: Db,
    private readonly producer: JobProducer,
  ) {}

  async readiness(): Promise<Readiness> {
    const [database, migrations] = this.checkDatabase();
    const [redis, redis_eviction_policy] = await this.checkRedis();
    const checks = { database, migrations, redis, redis_eviction_policy };
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  }

  private checkDatabase(): [Check, Check] {
    try {
      this.db.prepare('SELECT count(*) FROM sqlite_master').get();
    } catch (err) {
      return [{ ok: false, reason: `database does not answer: ${(err as Error).message}` }, { ok: false, reason: 'database unavailable' }];
    }
    try {
      const { pending } = migrationStatus(this.db, this.migrationFiles);
      return [{ ok: true }, pending.length ? { ok: false, reason: `pending migrations: ${pending.join(', ')}` } : { ok: true }];
    } catch (err) {
      return [{ ok: true }, { ok: false, reason: (err as Error).message }];
    }
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
          : { ok: false, reason: `maxmemory-policy is ${policy ?? 'unknown'}; BullMQ needs ${REQUIRED_EVICTION_POLICY} or jobs can be lost or run twice` },
      ];
    } catch (err) {
      return [{ ok: false, reason: `redis is unreachable: ${(err as Error).message}` }, { ok: false, reason: 'redis unreachable' }];
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
