import type { Redis } from 'ioredis';
import IORedis from 'ioredis';
import { join } from 'node:path';
import { makeTempDir, TEST_KEY } from '@tftsr/test-support/temp-dir';
import type { Db } from '@tftsr/db/database';
import { observeWriteLockWait, openDatabase, transaction } from '@tftsr/db/database';
import { walSizeBytes } from '@tftsr/db/wal';
import { registerRedisMetrics, registerSqliteMetrics } from './infra-metrics';
import { MetricsRegistry } from './metrics-registry';

describe('SQLite metrics (real encrypted database)', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let db: Db;
  let path: string;

  beforeEach(() => {
    temp = makeTempDir();
    path = join(temp.dir, 'tftsr.db');
    db = openDatabase({ path, key: TEST_KEY });
    db.exec('CREATE TABLE t (x INTEGER)');
  });
  afterEach(() => {
    observeWriteLockWait(db, null);
    db.close();
    temp.remove();
  });

  it('observes the write-lock wait once per outermost transaction(), not for nested ones', async () => {
    const sut = new MetricsRegistry({ defaultMetrics: false });
    observeWriteLockWait(
      db,
      registerSqliteMetrics(sut, () => walSizeBytes(path)),
    );
    transaction(db, () => db.prepare('INSERT INTO t VALUES (1)').run());
    transaction(db, () => transaction(db, () => db.prepare('INSERT INTO t VALUES (2)').run()));
    expect(await sut.metrics()).toMatch(/^tftsr_sqlite_write_lock_wait_seconds_count 2$/m);
  });

  it('stops observing when told, and a throwing observer never rolls a write back', () => {
    observeWriteLockWait(db, () => {
      throw new Error('metrics bug');
    });
    transaction(db, () => db.prepare('INSERT INTO t VALUES (1)').run());
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 1 });
    const seen: number[] = [];
    observeWriteLockWait(db, (s) => seen.push(s));
    observeWriteLockWait(db, null);
    transaction(db, () => db.prepare('INSERT INTO t VALUES (2)').run());
    expect(seen).toEqual([]);
  });

  it('reports the size of the -wal file at scrape time', async () => {
    const sut = new MetricsRegistry({ defaultMetrics: false });
    registerSqliteMetrics(sut, () => walSizeBytes(path));
    transaction(db, () => db.prepare('INSERT INTO t VALUES (1)').run());
    const size = walSizeBytes(path);
    expect(size).toBeGreaterThan(0);
    expect(await sut.metrics()).toContain(`tftsr_sqlite_wal_bytes ${size}`);
  });
});

describe('Redis metrics', () => {
  let redis: Redis;
  afterEach(() => redis.disconnect());

  it('reports a connection that is not ready as down, without waiting on it, and no policy series', async () => {
    redis = new IORedis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: null });
    const sut = new MetricsRegistry({ defaultMetrics: false });
    registerRedisMetrics(sut, () => redis);
    const text = await sut.metrics();
    expect(text).toMatch(/^tftsr_redis_up 0$/m);
    expect(text).not.toMatch(/^tftsr_redis_noeviction\{/m);
    expect(text).not.toMatch(/tftsr_metrics_collect_failures_total\{/);
  });
});
