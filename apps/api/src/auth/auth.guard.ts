import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ApiKeyScope } from '../../../../libs/db/src';
import { DomainError, ErrorCode } from '../common/domain-error';
import { ApiKeyService } from './api-key.service';
import { RateLimiter } from './rate-limiter.service';
import { AuthenticatedRequest, grants, SCOPES_KEY } from './scopes.decorator';

/** Routes that answer without a key: probes must work before anyone has one. */
const PUBLIC_ROUTE_PREFIXES = ['/health/'];
/** Routes without @RequireScopes need admin, so a forgotten decorator fails closed. */
const DEFAULT_SCOPES: ApiKeyScope[] = ['admin'];
const BEARER = /^Bearer ([\x21-\x7e]{1,512})$/;

/** Global: 401 without a valid key, 429 past the key's rate, 403 without the route's scopes, in that order. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly keys: ApiKeyService,
    private readonly limiter: RateLimiter,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const route = request.routeOptions?.url ?? request.url;
    if (PUBLIC_ROUTE_PREFIXES.some((prefix) => route.startsWith(prefix))) return true;

    const match = BEARER.exec(request.headers.authorization ?? '');
    if (!match) throw unauthenticated('send an API key as `Authorization: Bearer <key>`');
    const principal = this.keys.authenticate(match[1]);
    if (!principal) throw unauthenticated('the API key is not valid, or it was revoked');

    const decision = this.limiter.take(principal.id);
    if (!decision.allowed) {
      throw new DomainError(
        ErrorCode.RATE_LIMITED,
        `too many requests for this API key; retry after ${decision.retryAfterSeconds} s`,
        { retry_after_seconds: decision.retryAfterSeconds },
        { 'Retry-After': String(decision.retryAfterSeconds) },
      );
    }

    const needed = this.reflector.getAllAndOverride<ApiKeyScope[] | undefined>(SCOPES_KEY, [context.getHandler(), context.getClass()]) ?? DEFAULT_SCOPES;
    const missing = needed.filter((scope) => !grants(principal.scopes, scope));
    if (missing.length > 0) {
      throw new DomainError(ErrorCode.FORBIDDEN, `this API key lacks the scope(s) ${missing.join(', ')}`, { missing_scopes: missing });
    }
    request.principal = principal;
    return true;
  }
}

function unauthenticated(message: string): DomainError {
  return new DomainError(ErrorCode.UNAUTHENTICATED, message, undefined, { 'WWW-Authenticate': 'Bearer' });
}
