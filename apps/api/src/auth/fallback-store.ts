import LocalStore from '@fastify/rate-limit/store/LocalStore';
import RedisStore from '@fastify/rate-limit/store/RedisStore';
import type { RedisClient } from '@tftsr/jobs';

/** The counter of one key in one window, as @fastify/rate-limit's stores report it. */
export interface Count {
  current: number;
  ttl: number;
}

type Callback = (err: Error | null, result?: Count) => void;

/** @fastify/rate-limit's store contract, `read` included (it backs `{ increment: false }`). */
export interface CountStore {
  incr(key: string, cb: Callback, timeWindow: number, max: number): void;
  read(key: string, cb: Callback, timeWindow: number, max: number): void;
  child(routeOptions: object): CountStore;
}

/** Distinct keys the in-process counters keep before the least recently used is dropped. */
const LOCAL_KEYS = 100_000;

/**
 * Counts in Redis, and in this process whenever Redis does not answer: the address limits stay enforced through
 * a Redis outage instead of being skipped. One API process serves a data directory (chunks/writer.lock), so the
 * in-process counters are the same counters a replica-free service would keep; they start from zero when Redis
 * goes away, and are left behind when it is back.
 */
export class FallbackStore implements CountStore {
  constructor(
    private readonly primary: CountStore,
    private readonly local: CountStore,
  ) {}

  incr(key: string, cb: Callback, timeWindow: number, max: number): void {
    this.primary.incr(key, (err, result) => (err ? this.local.incr(key, cb, timeWindow, max) : cb(null, result)), timeWindow, max);
  }

  read(key: string, cb: Callback, timeWindow: number, max: number): void {
    this.primary.read(key, (err, result) => (err ? this.local.read(key, cb, timeWindow, max) : cb(null, result)), timeWindow, max);
  }

  child(routeOptions: object): CountStore {
    return new FallbackStore(this.primary.child(routeOptions), this.local.child({ ...routeOptions, cache: LOCAL_KEYS }));
  }
}

/** The `store` option of @fastify/rate-limit: Redis under `nameSpace`, falling back to in-process counters. */
export function redisWithLocalFallback(redis: RedisClient, nameSpace: string) {
  class RedisWithLocalFallback extends FallbackStore {
    /** @fastify/rate-limit constructs it with its global settings. */
    constructor(options: Flags) {
      const flags = [options.continueExceeding ?? false, options.exponentialBackoff ?? false] as const;
      super(new RedisStore(...flags, redis, nameSpace), new LocalStore(...flags, LOCAL_KEYS));
    }

    /**
     * A limit made by `createRateLimit` has no route (an empty routeInfo), and RedisStore would put its absent
     * method and path into every key (`…undefinedundefined-requests:…`): its keys are the namespace and its own.
     */
    override child(routeOptions: object): CountStore {
      const { routeInfo } = routeOptions as { routeInfo?: { url?: string } };
      return routeInfo?.url === undefined ? new RedisWithLocalFallback(routeOptions as Flags) : super.child(routeOptions);
    }
  }
  return RedisWithLocalFallback;
}

interface Flags {
  continueExceeding?: boolean;
  exponentialBackoff?: boolean;
}
