import IORedis from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { Count, CountStore } from './fallback-store';
import { redisWithLocalFallback } from './fallback-store';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const WINDOW_MS = 60_000;

const incr = (store: CountStore, key: string) =>
  new Promise<Count>((resolve, reject) => store.incr(key, (err, res) => (err ? reject(err) : resolve(res as Count)), WINDOW_MS, 10));
const read = (store: CountStore, key: string) =>
  new Promise<Count>((resolve, reject) => store.read(key, (err, res) => (err ? reject(err) : resolve(res as Count)), WINDOW_MS, 10));

/** A store as @fastify/rate-limit builds one for createRateLimit: the plugin's store, then its child. */
const storeOn = (redis: IORedis, nameSpace: string) => new (redisWithLocalFallback(redis, nameSpace))({}).child({ routeInfo: {} });

describe('address limit counters: Redis, and this process while Redis is away', () => {
  const nameSpace = `test-fallback-${randomUUID()}:`;
  let live: IORedis;
  let gone: IORedis;

  beforeAll(async () => {
    live = new IORedis(REDIS_URL);
    // The API's producer settings: no offline queue, so a command fails at once while the server is away.
    gone = new IORedis({ port: 1, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  });

  afterAll(async () => {
    const keys = await live.keys(`${nameSpace}*`);
    if (keys.length > 0) await live.del(...keys);
    live.disconnect();
    gone.disconnect();
  });

  it('counts in Redis while Redis answers, so what another connection counted is seen', async () => {
    const other = new IORedis(REDIS_URL);
    try {
      const a = storeOn(live, nameSpace);
      const b = storeOn(other, nameSpace);
      expect((await incr(a, 'k1')).current).toBe(1);
      expect((await incr(b, 'k1')).current).toBe(2);
      expect((await read(a, 'k1')).current).toBe(2);
      // The limit's own key under the namespace: a route-less limit has no method and path to add.
      expect(await live.keys(`${nameSpace}*k1`)).toEqual([`${nameSpace}k1`]);
    } finally {
      other.disconnect();
    }
  });

  it('keeps counting, in this process, when Redis does not answer: never an error, never a skipped count', async () => {
    const store = storeOn(gone, nameSpace);
    const counts = [];
    for (let i = 0; i < 4; i++) counts.push((await incr(store, 'k2')).current);
    expect(counts).toEqual([1, 2, 3, 4]);
    const now = await read(store, 'k2');
    expect(now.current).toBe(4);
    expect(now.ttl).toBeGreaterThan(0);
    expect(now.ttl).toBeLessThanOrEqual(WINDOW_MS);
    // Keys count apart, as in Redis.
    expect((await incr(store, 'k3')).current).toBe(1);
  });
});
