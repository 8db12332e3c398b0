import IORedis from 'ioredis';
import type { PrivateRedis } from '../../scripts/private-redis';
import { startPrivateRedis } from '../../scripts/private-redis';
import type { RunningApp } from '../support/app-processes';
import { appEnv, freePort, getJson, startApp, waitFor } from '../support/app-processes';
import { makeTempDir, TEST_KEY, uniqueQueuePrefix } from '../support/temp-dir';
import { expectIntactAfterFault } from './support/post-checks';

const ADMIN_KEY = `tftsr_e2e-faults-${'k'.repeat(32)}`;

describe('when Redis is missing or misconfigured', () => {
  let temp: ReturnType<typeof makeTempDir>;
  const running: RunningApp[] = [];

  beforeEach(() => (temp = makeTempDir()));
  afterEach(async () => {
    await Promise.all(running.splice(0).map((app) => app.stop('SIGKILL')));
    try {
      // Each test started an app on temp.dir, which created the database: killed or not, it must be sound.
      await expectIntactAfterFault({ dataDir: temp.dir, key: TEST_KEY, accepted: [] });
    } finally {
      temp.remove();
    }
  });

  async function startApi(redisUrl: string): Promise<string> {
    const port = await freePort();
    const api = startApp(
      'api',
      appEnv({ dataDir: temp.dir, queuePrefix: uniqueQueuePrefix('faults'), port, adminKey: ADMIN_KEY }, { REDIS_URL: redisUrl }),
    );
    running.push(api);
    const base = `http://127.0.0.1:${port}`;
    await waitFor(
      async () => (await fetch(`${base}/health/live`)).ok,
      20_000,
      () => api.output(),
    );
    return base;
  }

  it('the API starts without Redis, reports not ready with the reason, and fails enqueues fast with 503', async () => {
    const base = await startApi(`redis://127.0.0.1:${await freePort()}`);
    const ready = await getJson(`${base}/health/ready`);
    expect(ready.status).toBe(503);
    expect(ready.body.checks.redis).toEqual({ ok: false, reason: expect.stringMatching(/redis is unreachable/) });
    expect(ready.body.checks.database).toEqual({ ok: true });
    // The producer must answer, not hang: the test's own timeout is the bound.
    const ping = await fetch(`${base}/v1/system/ping`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect([ping.status, ((await ping.json()) as { error: { code: string } }).error.code]).toEqual([503, 'QUEUE_UNAVAILABLE']);
    expect(ping.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
  });

  describe('with a Redis that may evict keys', () => {
    let redis: PrivateRedis;

    beforeEach(async () => {
      redis = await startPrivateRedis({ dataDir: temp.dir });
      const client = new IORedis(redis.url);
      await client.config('SET', 'maxmemory-policy', 'allkeys-lru');
      client.disconnect();
    });
    afterEach(() => redis.stop());

    it('readiness reports the eviction policy as the reason', async () => {
      const base = await startApi(redis.url);
      // Until the producer's connection is up, readiness says Redis is unreachable; wait for the real answer.
      const ready = await waitFor(
        async () => {
          const answer = await getJson(`${base}/health/ready`);
          return answer.body.checks.redis.ok ? answer : undefined;
        },
        20_000,
        () => 'redis never became reachable',
      );
      expect(ready.status).toBe(503);
      expect(ready.body.checks.redis).toEqual({ ok: true });
      expect(ready.body.checks.redis_eviction_policy).toEqual({ ok: false, reason: expect.stringMatching(/allkeys-lru.*noeviction/) });
    });

    it('the worker logs the warning', async () => {
      const worker = startApp('worker', appEnv({ dataDir: temp.dir, queuePrefix: uniqueQueuePrefix('evict') }, { REDIS_URL: redis.url }));
      running.push(worker);
      await waitFor(
        async () => /maxmemory-policy is allkeys-lru/.test(worker.output()),
        20_000,
        () => worker.output(),
      );
    });
  });
});
