import { UnrecoverableError } from 'bullmq';
import { RetryLater, settleOutgoingFailure } from './retry-later';

const backoff = { baseMs: 100, maxMs: 1000, maxRetryAfterMs: 5000 };
const job = (attemptsMade: number) => ({ attemptsMade, opts: { attempts: 3 } });

describe('settleOutgoingFailure', () => {
  it('retries a retryable failure before the last attempt, with the delay it recorded', async () => {
    const recorded: number[] = [];
    const giveUp = jest.fn(() => 'never');
    const retry = (ms: number) => void recorded.push(ms);
    const sut = await settleOutgoingFailure(job(0), new Error('503'), backoff, { retryable: true, retryAfterMs: 1500, retry, giveUp });
    expect(sut).toBeInstanceOf(RetryLater);
    expect(sut.message).toBe('503');
    expect((sut as RetryLater).delayMs).toBe(1500);
    expect(recorded).toEqual([1500]);
    expect(giveUp).not.toHaveBeenCalled();
  });

  it('fails for good on the last attempt, with the reason giveUp returns', async () => {
    const retry = jest.fn();
    const giveUp = () => 'gave up after 3 attempts: 503';
    const sut = await settleOutgoingFailure(job(2), new Error('503'), backoff, { retryable: true, retry, giveUp });
    expect(sut).toBeInstanceOf(UnrecoverableError);
    expect(sut.message).toBe('gave up after 3 attempts: 503');
    expect(retry).not.toHaveBeenCalled();
  });

  it('fails a permanent failure at once', async () => {
    const retry = jest.fn();
    const sut = await settleOutgoingFailure(job(0), new Error('401'), backoff, { retryable: false, retry, giveUp: () => '401' });
    expect(sut).toBeInstanceOf(UnrecoverableError);
    expect(retry).not.toHaveBeenCalled();
  });

  it('records the attempt or the failure before it answers, when recording is asynchronous (a group commit)', async () => {
    const order: string[] = [];
    const later = (what: string) => new Promise<void>((resolve) => setTimeout(() => (order.push(what), resolve()), 5));
    const retried = await settleOutgoingFailure(job(0), new Error('503'), backoff, {
      retryable: true,
      retry: () => later('retry recorded'),
      giveUp: () => 'never',
    });
    order.push('answered');
    const failed = await settleOutgoingFailure(job(2), new Error('503'), backoff, {
      retryable: true,
      retry: () => undefined,
      giveUp: async () => (await later('failure recorded'), 'gave up'),
    });
    order.push('answered');
    expect([retried, failed].map((e) => e.constructor)).toEqual([RetryLater, UnrecoverableError]);
    expect(failed.message).toBe('gave up');
    expect(order).toEqual(['retry recorded', 'answered', 'failure recorded', 'answered']);
  });
});
