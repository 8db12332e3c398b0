import { Injectable } from '@nestjs/common';
import { ApiConfig } from '../config/api.config';

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per API key, in memory: each process limits on its own, which is enough for one API
 * process per database. Buckets are per key, so their number is bounded by the number of keys.
 */
@Injectable()
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;
  private readonly capacity: number;

  constructor(config: ApiConfig) {
    this.perMs = config.TFTSR_RATE_LIMIT_PER_MINUTE / 60_000;
    this.capacity = config.TFTSR_RATE_LIMIT_BURST;
  }

  take(keyId: string, now: number = Date.now()): RateDecision {
    const bucket = this.buckets.get(keyId) ?? { tokens: this.capacity, at: now };
    bucket.tokens = Math.min(this.capacity, bucket.tokens + Math.max(0, now - bucket.at) * this.perMs);
    bucket.at = now;
    this.buckets.set(keyId, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / this.perMs / 1000)) };
  }
}
