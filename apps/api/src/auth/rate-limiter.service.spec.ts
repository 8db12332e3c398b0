import { loadConfig } from '@tftsr/config';
import { ApiConfig } from '../config/api.config';
import { RateLimiter } from './rate-limiter.service';

describe('RateLimiter', () => {
  const make = (perMinute: number, burst: number) =>
    new RateLimiter(loadConfig(ApiConfig, { TFTSR_RATE_LIMIT_PER_MINUTE: String(perMinute), TFTSR_RATE_LIMIT_BURST: String(burst) }));

  it('allows a burst, then refuses with the seconds until the next token', () => {
    const sut = make(60, 3);
    expect([sut.take('k', 0), sut.take('k', 0), sut.take('k', 0)].every((d) => d.allowed)).toBe(true);
    expect(sut.take('k', 0)).toEqual({ allowed: false, retryAfterSeconds: 1 });
  });

  it('refills at the configured rate', () => {
    const sut = make(6, 1);
    expect(sut.take('k', 0).allowed).toBe(true);
    expect(sut.take('k', 1_000)).toEqual({ allowed: false, retryAfterSeconds: 9 });
    expect(sut.take('k', 10_000).allowed).toBe(true);
  });

  it('keeps one bucket per key', () => {
    const sut = make(1, 1);
    expect(sut.take('a', 0).allowed).toBe(true);
    expect(sut.take('a', 0).allowed).toBe(false);
    expect(sut.take('b', 0).allowed).toBe(true);
  });
});
