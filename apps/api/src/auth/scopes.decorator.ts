import type { ExecutionContext } from '@nestjs/common';
import { applyDecorators, createParamDecorator, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import type { ApiKeyScope } from '@tftsr/db';
import { ApiErrors } from '../common/api-responses';
import { ErrorCode } from '../common/domain-error';

export const SCOPES_KEY = 'tftsr:scopes';

/** Who is calling: set by the request gate (request-gate.ts) on every request it lets through. */
export interface Principal {
  id: string;
  name: string;
  scopes: ApiKeyScope[];
}

export type AuthenticatedRequest = FastifyRequest & { principal?: Principal };

/**
 * The scopes a route needs, and its 401/403/429 documentation. A route without this decorator needs
 * `admin`: forgetting it fails closed (that is how /v1/system/ping is protected).
 */
export function RequireScopes(...scopes: ApiKeyScope[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(SCOPES_KEY, scopes),
    ApiBearerAuth(),
    ApiErrors(ErrorCode.UNAUTHENTICATED, ErrorCode.FORBIDDEN, ErrorCode.RATE_LIMITED),
  );
}

/** The calling key's name, for the audit entry's user_id. */
export const Actor = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new Error('Actor used on a route that AuthGuard did not authenticate');
  return principal.name;
});

/**
 * admin includes write and metrics, and write includes read. pii:reveal is never implied: it must be granted by
 * name. metrics grants nothing else, so the key Prometheus holds reads no data.
 */
export function grants(held: readonly ApiKeyScope[], needed: ApiKeyScope): boolean {
  if (held.includes(needed)) return true;
  if (needed === 'read') return held.includes('write') || held.includes('admin');
  if (needed === 'write' || needed === 'metrics') return held.includes('admin');
  // ingest (the shipper endpoints only) is what write keys can do anyway; an ingest key gets nothing else.
  if (needed === 'ingest') return held.includes('write') || held.includes('admin');
  return false;
}
