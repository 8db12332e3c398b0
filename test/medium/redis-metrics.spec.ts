/** The Redis metrics against the real Redis; a connection that is not ready: libs/telemetry/src/infra-metrics.spec.ts. */
import { createRedisConnection, readEvictionPolicy, type RedisClient } from '../../libs/jobs/src/redis';
import { registerRedisMetrics } from '../../libs/telemetry/src/infra-metrics';
import { MetricsRegistry } from '../../libs/telemetry/src/metrics-registry';

describe('Redis metrics (real Redis)', () => {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  let redis: RedisClient;
  afterEach(() => redis.disconnect());

  it('reports a ready connection as up, with the eviction policy as a label', async () => {
    redis = createRedisConnection({ kind: 'standalone', url }, 'producer');
    await new Promise((resolve) => redis.once('ready', resolve));
    const policy = await readEvictionPolicy(redis);
    const sut = new MetricsRegistry({ defaultMetrics: false });
    registerRedisMetrics(sut, () => redis);
    const text = await sut.metrics();
    expect(text).toMatch(/^tftsr_redis_up 1$/m);
    expect(text).toContain(`tftsr_redis_noeviction{policy="${policy}"} ${policy === 'noeviction' ? 1 : 0}`);
  });
});
