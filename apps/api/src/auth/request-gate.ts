import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, ErrorCode } from '../common/domain-error';
import { replyWithError } from '../common/error-reply';
import { acceptedMediaTypes } from '../common/route-body-limit';
import { DASHBOARD_PATH } from '../queue-dashboard/dashboard-gate';
import { WEB_UI_PATH } from '../web-ui/web-ui-policy';
import type { AddressLimits } from './address-limits';
import { admitKey, BEARER } from './admit-key';
import type { ApiKeyService } from './api-key.service';
import type { RateLimiter } from './rate-limiter.service';
import type { AuthenticatedRequest } from './scopes.decorator';

/**
 * Routes that answer without a key: probes must work before anyone has one, the API describes itself, and the web
 * app's files load before it asks for a key.
 */
export const PUBLIC_ROUTE_PREFIXES = ['/health/', '/docs', '/openapi.json', '/openapi.yaml', WEB_UI_PATH];

export function isPublicRoute(route: string): boolean {
  return PUBLIC_ROUTE_PREFIXES.some((prefix) => route === prefix || route.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`));
}

export interface RequestGateDeps {
  keys: Pick<ApiKeyService, 'authenticate'>;
  limiter: Pick<RateLimiter, 'take'>;
  limits: AddressLimits;
}

/**
 * The one admission step of the API, in an onRequest hook: it runs before Fastify reads a byte of the body, so
 * a request without a valid key costs a header check and nothing more (AuthGuard then only checks scopes). It
 * also refuses a body of a media type the route does not take (415), before any parser sees it. Every request,
 * public or not, first passes the limits of its client address. The queue dashboard admits its own requests
 * (DashboardGate), with the same admitKey and failed-authentication limits.
 */
export function installRequestGate(fastify: FastifyInstance, deps: RequestGateDeps): void {
  fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      const route = request.routeOptions.url;
      const open = route === undefined || isPublicRoute(route) || route === DASHBOARD_PATH || route.startsWith(`${DASHBOARD_PATH}/`);
      // Log shippers' routes admit their own credential shapes (Bearer, Basic, ApiKey) in their own onRequest hook,
      // and their Elasticsearch product probe (GET /) answers without a key, as Elasticsearch's does.
      const shipper = (request.routeOptions.config as { shipper?: unknown } | undefined)?.shipper !== undefined;
      await deps.limits.admitAddress(request, reply, !open && route !== '/');
      // No route: answered here, so that not even an unknown URL has its body read.
      if (route === undefined) throw new DomainError(ErrorCode.ROUTE_NOT_FOUND, `Cannot ${request.method} ${request.url.split('?')[0]}`);
      if (open || route === '/' || shipper) return undefined;
      (request as AuthenticatedRequest).principal = await deps.limits.admitting(request, () => authenticate(request, deps));
      checkMediaType(request);
      return undefined;
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      return replyWithError(request, reply, err);
    }
  });
}

function authenticate(request: FastifyRequest, deps: RequestGateDeps) {
  const match = BEARER.exec(request.headers.authorization ?? '');
  if (!match) throw unauthenticated('send an API key as `Authorization: Bearer <key>`');
  return admitKey(deps.keys, deps.limiter, match[1], unauthenticated);
}

export function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Fastify hands any body it parses to its content-type parser, even an empty one; it never parses GET or HEAD. */
function checkMediaType(request: FastifyRequest): void {
  if (request.method === 'GET' || request.method === 'HEAD') return;
  if (!hasBody(request) && !request.headers['content-type']) return;
  const accepted = acceptedMediaTypes(request);
  const given = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (accepted.includes(given)) return;
  throw new DomainError(
    ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    `${given ? `a body of type ${given}` : 'a body without a content-type'} is not accepted here; send ${accepted.join(' or ')}`,
    { accepted_types: accepted },
  );
}

type Operation = { security?: unknown[]; requestBody?: unknown; responses?: Record<string, unknown> };

/**
 * The gate's refusals apply to every route that needs a key: adds them to the OpenAPI document where a route does
 * not name them itself (a route's own description of the same status is kept).
 */
export function documentGateRefusals(document: { paths: Record<string, Record<string, Operation>> }): void {
  const error = (codes: string) => ({
    description: codes,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } },
  });
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item)) {
      if (!operation?.security?.length) continue;
      const responses = (operation.responses ??= {});
      responses['413'] ??= error(ErrorCode.PAYLOAD_TOO_LARGE);
      responses['415'] ??= error(ErrorCode.UNSUPPORTED_MEDIA_TYPE);
      if (operation.requestBody) responses['400'] ??= error(ErrorCode.INVALID_JSON);
    }
  }
}

export function unauthenticated(message: string): DomainError {
  return new DomainError(ErrorCode.UNAUTHENTICATED, message, undefined, { 'WWW-Authenticate': 'Bearer' });
}
