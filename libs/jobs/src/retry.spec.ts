import { UnrecoverableError } from 'bullmq';
import type { RetryBackoff } from './retry';
import { isLastAttempt, retryDelayMs } from './retry';

const job = (attemptsMade: number, attempts?: number) => ({ attemptsMade, opts: attempts === undefined ? {} : { attempts } });

describe('isLastAttempt', () => {
  it('is the last attempt once the attempts are used up, and not before', () => {
    expect(isLastAttempt(job(3, 5))).toBe(false);
    expect(isLastAttempt(job(4, 5))).toBe(true);
  });

  it('treats a job without attempts as having one', () => {
    expect(isLastAttempt(job(0))).toBe(true);
  });

  it('is the last attempt for an unrecoverable error, whatever attempts remain', () => {
    expect(isLastAttempt(job(0, 5), new UnrecoverableError('no'))).toBe(true);
    expect(isLastAttempt(job(0, 5), new Error('maybe'))).toBe(false);
  });
});

describe('retryDelayMs', () => {
  const backoff: RetryBackoff = { baseMs: 100, maxMs: 1000, maxRetryAfterMs: 5000 };

  it('takes Retry-After as given, capped and never negative', () => {
    expect(retryDelayMs(0, backoff, 1234)).toBe(1234);
    expect(retryDelayMs(0, backoff, 60000)).toBe(5000);
    expect(retryDelayMs(0, backoff, -5)).toBe(0);
  });

  it('backs off exponentially with jitter between half the ceiling and the ceiling, capped', () => {
    for (let i = 0; i < 50; i++) {
      const first = retryDelayMs(0, backoff);
      expect(first).toBeGreaterThanOrEqual(50);
      expect(first).toBeLessThanOrEqual(100);
      const third = retryDelayMs(2, backoff);
      expect(third).toBeGreaterThanOrEqual(200);
      expect(third).toBeLessThanOrEqual(400);
      const late = retryDelayMs(30, backoff);
      expect(late).toBeGreaterThanOrEqual(500);
      expect(late).toBeLessThanOrEqual(1000);
    }
  });
});
