/**
 * @fastify/rate-limit's two stores, which it does not export from its index (no types of their own either); the
 * constructors as store/LocalStore.js and store/RedisStore.js of version 11 define them.
 */
declare module '@fastify/rate-limit/store/LocalStore' {
  import type { CountStore } from './fallback-store';

  class LocalStore implements CountStore {
    constructor(continueExceeding: boolean, exponentialBackoff: boolean, cache?: number);
    incr: CountStore['incr'];
    read: CountStore['read'];
    child: CountStore['child'];
  }

  export = LocalStore;
}

declare module '@fastify/rate-limit/store/RedisStore' {
  import type { RedisClient } from '@tftsr/jobs';
  import type { CountStore } from './fallback-store';

  class RedisStore implements CountStore {
    constructor(continueExceeding: boolean, exponentialBackoff: boolean, redis: RedisClient, key?: string);
    incr: CountStore['incr'];
    read: CountStore['read'];
    child: CountStore['child'];
  }

  export = RedisStore;
}
