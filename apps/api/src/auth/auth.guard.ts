import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ApiKeyScope } from '../../../../libs/db/src';
import { DomainError, ErrorCode } from '../common/domain-error';
import { admitKey, BEARER } from './admit-key';
import { ApiKeyService } from './api-key.service';
import { RateLimiter } from './rate-limiter.service';
import { AuthenticatedRequest, grants, SCOPES_KEY } from './scopes.decorator';

/** Routes that answer without a key: probes must work before anyone has one. */
const PUBLIC_ROUTE_PREFIXES = ['/health/'];
/** Routes without @RequireScopes need admin, so a forgotten decorator fails closed. */
const DEFAULT_SCOPES: ApiKeyScope[] = ['admin'];

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
    const principal = admitKey(this.keys, this.limiter, match[1], unauthenticated);

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
