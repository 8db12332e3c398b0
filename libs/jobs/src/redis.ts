import type { Redis, RedisOptions } from 'ioredis';
import IORedis from 'ioredis';

export type RedisRole = 'producer' | 'worker';

/**
 * The worker's connection waits for Redis forever (BullMQ requires `maxRetriesPerRequest: null` for
 * blocking commands). The API's producer must fail fast instead of hanging a request while Redis is down.
 */
export function createRedisConnection(url: string, role: RedisRole, extra: RedisOptions = {}): Redis {
  const options: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000, commandTimeout: 2000 };
  return new IORedis(url, {
    ...options,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    lazyConnect: false,
    ...extra,
  });
}

/** BullMQ only behaves correctly when Redis never evicts keys: evicted locks mean jobs run twice. */
export async function readEvictionPolicy(redis: Redis): Promise<string | null> {
  const info = await redis.info('memory');
  const match = /^maxmemory_policy:(\S+)/m.exec(info);
  return match ? match[1] : null;
}

export const REQUIRED_EVICTION_POLICY = 'noeviction';

/** One line when the connection is lost and one when it is back, instead of one per reconnect attempt. */
export function logConnectionChanges(redis: Redis, logger: { log(m: string): void; warn(m: string): void }, role: string): void {
  let down = false;
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    logger.warn(`redis (${role}) unavailable: ${err.message}; retrying`);
  });
  redis.on('ready', () => {
    if (down) logger.log(`redis (${role}) connection restored`);
    down = false;
  });
}
