/** A failure worth another attempt, after `delayMs` (from Retry-After, or the backoff). */
export class RetryLater extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
  }
}
