import { DomainError, ErrorCode } from '../common/domain-error';
import type { ApiKeyService } from './api-key.service';
import type { RateLimiter } from './rate-limiter.service';
import type { Principal } from './scopes.decorator';

/** `Authorization: Bearer <key>`: printable ASCII, bounded. */
export const BEARER = /^Bearer ([\x21-\x7e]{1,512})$/;

/**
 * The checks every entrance applies to a presented key, in order: 401 (through `unauthenticated`, so each
 * entrance keeps its own challenge) unless the key is valid, then 429 past the key's rate. Scopes come after.
 */
export function admitKey(
  keys: Pick<ApiKeyService, 'authenticate'>,
  limiter: Pick<RateLimiter, 'take'>,
  key: string,
  unauthenticated: (message: string) => DomainError,
): Principal {
  const principal = keys.authenticate(key);
  if (!principal) throw unauthenticated('the API key is not valid, or it was revoked');
  const decision = limiter.take(principal.id);
  if (!decision.allowed) {
    throw new DomainError(
      ErrorCode.RATE_LIMITED,
      `too many requests for this API key; retry after ${decision.retryAfterSeconds} s`,
      { retry_after_seconds: decision.retryAfterSeconds },
      { 'Retry-After': String(decision.retryAfterSeconds) },
    );
  }
  return principal;
}
