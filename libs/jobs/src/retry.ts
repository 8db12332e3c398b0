import { UnrecoverableError } from 'bullmq';

/** What BullMQ tells a handler about its attempts; a plain object in tests. */
export interface AttemptCount {
  attemptsMade: number;
  opts: { attempts?: number };
}

/**
 * Whether this attempt is the job's last: BullMQ will not run it again if it fails, because its attempts are used
 * up or because `err` is an UnrecoverableError. The one place that decides it, for handlers and telemetry alike.
 */
export function isLastAttempt(job: AttemptCount, err?: unknown): boolean {
  return err instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/** The backoff of outgoing calls (publish, webhooks); the worker's TFTSR_PUBLISH_BACKOFF_* set it. */
export interface RetryBackoff {
  /** The first retry's delay, doubled per attempt. */
  baseMs: number;
  /** The most a retry waits, whatever the attempt. */
  maxMs: number;
  /** A Retry-After longer than this is cut to it. */
  maxRetryAfterMs: number;
}

export const DEFAULT_PUBLISH_BACKOFF: RetryBackoff = { baseMs: 2000, maxMs: 600000, maxRetryAfterMs: 3600000 };

/** Retry-After when the remote named a delay (capped); else exponential from the base, with jitter, capped. */
export function retryDelayMs(attemptsMade: number, backoff: RetryBackoff, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(Math.max(retryAfterMs, 0), backoff.maxRetryAfterMs);
  const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(attemptsMade, 20));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}
