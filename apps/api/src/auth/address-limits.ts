import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '@nestjs/common';
import { once } from 'node:events';
import { createHmac } from 'node:crypto';
import { deriveKey } from '@tftsr/db';
import { createRedisConnection, logConnectionChanges } from '@tftsr/jobs';
import { DomainError, ErrorCode } from '../common/domain-error';
import type { ApiConfig } from '../config/api.config';
import { redisWithLocalFallback } from './fallback-store';

const MINUTE_MS = 60_000;
const MAX_HASHED_ADDRESSES = 10_000;

type Limit = ReturnType<FastifyInstance['createRateLimit']>;
type Outcome = Awaited<ReturnType<Limit>>;

/**
 * Limits by client address, counted in Redis (@fastify/rate-limit's store) so that every API replica shares them:
 * all requests of an address, and failed authentications per address and over all addresses. The per-key token
 * bucket (rate-limiter.service.ts) comes on top. Redis holds an HMAC of the address, never the address itself.
 * With Redis down the limits count in this process (fallback-store.ts): still enforced, never skipped.
 */
export class AddressLimits {
  /** Reads of the failed-authentication counter sent early by admitAddress, for the request's admitting(). */
  private readonly prefetched = new WeakMap<FastifyRequest, Promise<Outcome>>();

  constructor(
    private readonly requests: Limit,
    private readonly failuresByAddress: Limit,
    private readonly failuresOverall: Limit,
  ) {}

  /**
   * Every request: sets the RateLimit headers, and refuses an address past its rate. `authenticates`: the request
   * will go through `admitting`; its read of the address's failed authentications is sent now, beside the count,
   * so that both limits cost one round trip to Redis instead of two in a row. The read is the same read, taken a
   * few microseconds earlier: the limits' semantics do not change.
   */
  async admitAddress(request: FastifyRequest, reply: FastifyReply, authenticates = false): Promise<void> {
    if (authenticates) {
      const read = this.failuresByAddress(request, { increment: false });
      // Unused when the address is refused below; a failure (the store has none: it falls back) must not go unhandled.
      read.catch(() => undefined);
      this.prefetched.set(request, read);
    }
    const outcome = await this.requests(request);
    if (outcome.isAllowed) return;
    void reply
      .header('RateLimit-Limit', outcome.max)
      .header('RateLimit-Remaining', outcome.remaining)
      .header('RateLimit-Reset', outcome.ttlInSeconds);
    if (outcome.isExceeded) throw tooMany(outcome, 'too many requests from this address');
  }

  /**
   * Wraps one admission: refuses an address already past its failed-authentication budget before looking at its
   * key, and answers a failure 429 instead of 401 once the address or everyone together is past theirs.
   */
  async admitting<T>(request: FastifyRequest, admit: () => T): Promise<T> {
    const prefetched = this.prefetched.get(request);
    this.prefetched.delete(request);
    const before = await (prefetched ?? this.failuresByAddress(request, { increment: false }));
    if (!before.isAllowed && before.remaining <= 0 && before.ttl > 0)
      throw tooMany(before, 'too many failed authentications from this address');
    try {
      return admit();
    } catch (err) {
      if (!(err instanceof DomainError) || err.code !== ErrorCode.UNAUTHENTICATED) throw err;
      const [address, overall] = await Promise.all([this.failuresByAddress(request), this.failuresOverall(request)]);
      const past = [address, overall].find((o) => !o.isAllowed && o.isExceeded);
      if (past) throw tooMany(past, 'too many failed authentications');
      throw err;
    }
  }
}

function tooMany(outcome: Outcome, message: string): DomainError {
  const seconds = outcome.isAllowed ? 60 : Math.max(1, outcome.ttlInSeconds);
  return new DomainError(
    ErrorCode.RATE_LIMITED,
    `${message}; retry after ${seconds} s`,
    { retry_after_seconds: seconds },
    { 'Retry-After': String(seconds) },
  );
}

/** Registers @fastify/rate-limit on its own Redis connection (closed with the app) and builds the three limits. */
export async function installAddressLimits(
  fastify: FastifyInstance,
  config: ApiConfig,
  logger: Pick<Logger, 'log' | 'warn'>,
): Promise<AddressLimits> {
  // Every request sends one or two limit commands: those of one event-loop turn go out in one write.
  const redis = createRedisConnection(config.redis, 'producer', { enableAutoPipelining: true });
  logConnectionChanges(redis, logger, 'rate limits');
  fastify.addHook('onClose', async () => void redis.disconnect());
  // The connection fails commands fast rather than queueing them; the first requests should not find it still dialling.
  await Promise.race([once(redis, 'ready').catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
  await fastify.register(rateLimit, { global: false, store: redisWithLocalFallback(redis, `${config.queuePrefix}:rate-limit:`) });
  const secret = deriveKey(config.databaseKey, 'client-address-hmac');
  // Computing an HMAC (its key schedule) costs more than the rest of the limit's work; clients are few, so each
  // address is hashed once. Bounded: past MAX_HASHED_ADDRESSES (a scan of many addresses) it starts afresh.
  const hashed = new Map<string, string>();
  const address = (request: FastifyRequest) => {
    let value = hashed.get(request.ip);
    if (value === undefined) {
      value = createHmac('sha256', secret).update(request.ip).digest('base64url').slice(0, 22);
      if (hashed.size >= MAX_HASHED_ADDRESSES) hashed.clear();
      hashed.set(request.ip, value);
    }
    return value;
  };
  const limit = (max: number, key: (request: FastifyRequest) => string) =>
    fastify.createRateLimit({ max, timeWindow: MINUTE_MS, keyGenerator: key });
  return new AddressLimits(
    limit(config.TFTSR_RATE_LIMIT_PER_ADDRESS_PER_MINUTE, (r) => `requests:${address(r)}`),
    limit(config.TFTSR_AUTH_FAILURES_PER_ADDRESS_PER_MINUTE, (r) => `auth-failures:${address(r)}`),
    limit(config.TFTSR_AUTH_FAILURES_PER_MINUTE, () => 'auth-failures:all'),
  );
}
