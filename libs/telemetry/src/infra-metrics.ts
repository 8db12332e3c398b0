import { readEvictionPolicy, type RedisClient, REQUIRED_EVICTION_POLICY } from '@tftsr/jobs/redis';
import type { MetricsRegistry } from './metrics-registry';

/** Seconds: most BEGIN IMMEDIATEs get the lock at once; the tail shows the other process holding it. */
const LOCK_WAIT_BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The SQLite file as this process sees it: how long its transactions waited for the write lock (observed by the
 * returned function, which the app hands to libs/db `observeWriteLockWait`) and the size of the -wal file.
 */
export function registerSqliteMetrics(metrics: MetricsRegistry, walBytes: () => number): (seconds: number) => void {
  const wait = metrics.histogram(
    'tftsr_sqlite_write_lock_wait_seconds',
    'Time transaction() waited for the SQLite write lock (BEGIN IMMEDIATE).',
    [],
    LOCK_WAIT_BUCKETS,
  );
  const wal = metrics.gauge('tftsr_sqlite_wal_bytes', 'Size of the database -wal file, read at scrape time.');
  metrics.onScrape('sqlite_wal', () => wal.set(walBytes()));
  return (seconds) => wait.observe(seconds);
}

/**
 * Whether this process's Redis connection is up, and Redis's maxmemory-policy (1 when it is `noeviction`, which
 * BullMQ needs: otherwise jobs are lost or run twice). A connection that is not ready is not asked anything: the
 * worker's waits forever by design, and a scrape must not queue commands on it. While Redis cannot be asked,
 * the policy series is absent.
 */
export function registerRedisMetrics(metrics: MetricsRegistry, connection: () => RedisClient | undefined): void {
  const up = metrics.gauge('tftsr_redis_up', '1 when this process’s Redis connection is ready and answers, else 0.');
  const noeviction = metrics.gauge(
    'tftsr_redis_noeviction',
    `Redis maxmemory-policy (label): 1 when it is ${REQUIRED_EVICTION_POLICY}, else 0.`,
    ['policy'],
  );
  metrics.onScrape('redis', async () => {
    const redis = connection();
    up.set(0);
    noeviction.reset();
    if (redis?.status !== 'ready') return;
    const policy = (await readEvictionPolicy(redis)) ?? 'unknown';
    up.set(1);
    noeviction.set({ policy }, policy === REQUIRED_EVICTION_POLICY ? 1 : 0);
  });
}
