import type { FastifyInstance, FastifyReply, FastifyRequest, onSendHookHandler } from 'fastify';
import type { Logger } from 'pino';
import { runWithRequestId } from '@tftsr/telemetry';
import type { AuthenticatedRequest } from '../auth/scopes.decorator';

export type UploadKind = 'log_file' | 'image';

export interface HttpMetrics {
  observeRequest(method: string, route: string, status: number, seconds: number): void;
  /** `bytes` is the stored size from the 2xx answer; null for a refused upload. */
  observeUpload(kind: UploadKind, accepted: boolean, bytes: number | null, seconds: number): void;
}

/** The routes that take a file; the 2xx answer of each carries the stored `file_size`. */
export const UPLOAD_ROUTES: Readonly<Record<string, UploadKind>> = {
  'POST /v1/issues/:id/log-files': 'log_file',
  'POST /v1/issues/:id/images': 'image',
};

/** Probes and scrapes arrive every few seconds: their lines are debug, not info. */
const QUIET_ROUTES = /^\/(health\/|metrics$)/;

/**
 * One log line and one latency sample per request, labelled by the route pattern (never the raw URL, whose query
 * can hold search text or file names), plus the upload counters; and the request id made available to code far
 * from the request (libs/telemetry request-context), so that jobs carry it to the worker.
 * Call before the routes are registered: Fastify gives a route the hooks that exist when it is added.
 */
export function installHttpTelemetry(fastify: FastifyInstance, log: Logger, metrics: HttpMetrics): void {
  // preHandler runs after the body parser, whose stream events would have lost an earlier context; the handler
  // (and Nest's guards and interceptors) run inside `done`.
  fastify.addHook('preHandler', (request, _reply, done) => runWithRequestId(String(request.id), done));
  // Only the upload routes count their answers' sizes: the other routes do not pay for the hook.
  const onSend: onSendHookHandler = (request, reply, payload, done) => {
    countUpload(request, reply, payload, metrics);
    done(null, payload);
  };
  fastify.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (methods.some((method) => UPLOAD_ROUTES[`${method} ${route.url}`])) route.onSend = [...hooksOf(route.onSend), onSend];
  });
  // Callback hooks here, not async ones: both are synchronous, and an async hook costs every request a promise.
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = routeOf(request);
    const status = reply.statusCode;
    metrics.observeRequest(request.method, route, status, reply.elapsedTime / 1000);
    const level = QUIET_ROUTES.test(route) ? 'debug' : status >= 500 ? 'error' : 'info';
    log[level](
      {
        request_id: request.id,
        method: request.method,
        route,
        status,
        duration_ms: Math.round(reply.elapsedTime * 10) / 10,
        key_id: (request as AuthenticatedRequest).principal?.id,
      },
      `${request.method} ${route} ${status}`,
    );
    done();
  });
}

function hooksOf<T>(hooks: T | T[] | undefined): T[] {
  return hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks];
}

/** The route pattern (`/v1/issues/:id`); `unmatched` for a 404 with no route, so labels stay bounded. */
export function routeOf(request: FastifyRequest): string {
  return request.routeOptions?.url ?? 'unmatched';
}

function countUpload(request: FastifyRequest, reply: FastifyReply, payload: unknown, metrics: HttpMetrics): void {
  const kind = UPLOAD_ROUTES[`${request.method} ${routeOf(request)}`];
  if (!kind) return;
  const accepted = reply.statusCode >= 200 && reply.statusCode < 300;
  metrics.observeUpload(kind, accepted, accepted ? fileSizeOf(payload) : null, reply.elapsedTime / 1000);
}

function fileSizeOf(payload: unknown): number | null {
  if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) return null;
  try {
    const size = (JSON.parse(payload.toString()) as { file_size?: unknown }).file_size;
    return typeof size === 'number' ? size : null;
  } catch {
    return null;
  }
}
