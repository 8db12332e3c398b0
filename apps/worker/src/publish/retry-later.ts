import { UnrecoverableError } from 'bullmq';
import { isLastAttempt, retryDelayMs } from '@tftsr/jobs';
import type { AttemptCount, RetryBackoff } from '@tftsr/jobs';

/** A failure worth another attempt, after `delayMs` (from Retry-After, or the backoff). */
export class RetryLater extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
  }
}

export interface OutgoingFailure {
  retryable: boolean;
  /** The delay the remote asked for (Retry-After), if it named one. */
  retryAfterMs?: number;
  /** Records an attempt that will be retried after `delayMs`. */
  retry(delayMs: number): void | Promise<void>;
  /** Records the failure for good, and returns the reason the job fails with. */
  giveUp(): string | Promise<string>;
}

/**
 * The retry decision of outgoing calls (publish and webhook deliveries): a retryable failure before the last attempt
 * is retried after the backoff's delay, carried on a RetryLater for the queue's backoff strategy; any other fails
 * the job for good. Resolves to the error for the handler to throw, once the attempt or the failure is recorded.
 */
export async function settleOutgoingFailure(
  job: AttemptCount,
  err: Error,
  backoff: RetryBackoff,
  failure: OutgoingFailure,
): Promise<RetryLater | UnrecoverableError> {
  if (failure.retryable && !isLastAttempt(job)) {
    const delayMs = retryDelayMs(job.attemptsMade, backoff, failure.retryAfterMs);
    await failure.retry(delayMs);
    return new RetryLater(err.message, delayMs);
  }
  return new UnrecoverableError(await failure.giveUp());
}
