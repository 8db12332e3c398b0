import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { ApiKeyScope } from '@tftsr/db';
import { DomainError, ErrorCode } from '../common/domain-error';
import { isPublicRoute, unauthenticated } from './request-gate';
import { AuthenticatedRequest, grants, SCOPES_KEY } from './scopes.decorator';

/** Routes without @RequireScopes need admin, so a forgotten decorator fails closed. */
const DEFAULT_SCOPES: ApiKeyScope[] = ['admin'];

/**
 * Global: 403 without the route's scopes. The key itself was admitted (401, 429) by the request gate's onRequest
 * hook, before the body was read; a route it did not admit is refused here too, so a gap fails closed.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const route = request.routeOptions?.url ?? request.url;
    if (isPublicRoute(route)) return true;

    const principal = request.principal;
    if (!principal) throw unauthenticated('send an API key as `Authorization: Bearer <key>`');
    const needed =
      this.reflector.getAllAndOverride<ApiKeyScope[] | undefined>(SCOPES_KEY, [context.getHandler(), context.getClass()]) ?? DEFAULT_SCOPES;
    const missing = needed.filter((scope) => !grants(principal.scopes, scope));
    if (missing.length > 0) {
      throw new DomainError(ErrorCode.FORBIDDEN, `this API key lacks the scope(s) ${missing.join(', ')}`, { missing_scopes: missing });
    }
    return true;
  }
}
