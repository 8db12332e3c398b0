import type { FastifyInstance } from 'fastify';
import Fastify from 'fastify';
import { Writable } from 'node:stream';
import { createLogger, currentRequestId } from '@tftsr/telemetry';
import type { HttpMetrics, UploadKind } from './http-telemetry';
import { installHttpTelemetry } from './http-telemetry';

const SECRET = 'tftsr_CANARY_KEY_0123456789';
const CONTENT = 'CANARY jane.doe@example.org paid with 4111 1111 1111 1111';

class RecordingMetrics implements HttpMetrics {
  readonly requests: [string, string, number][] = [];
  readonly uploads: [UploadKind, boolean, number | null][] = [];
  observeRequest(method: string, route: string, status: number): void {
    this.requests.push([method, route, status]);
  }
  observeUpload(kind: UploadKind, accepted: boolean, bytes: number | null): void {
    this.uploads.push([kind, accepted, bytes]);
  }
}

describe('installHttpTelemetry', () => {
  let fastify: FastifyInstance;
  let raw: string;
  let metrics: RecordingMetrics;
  const lines = () =>
    raw
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  beforeEach(async () => {
    raw = '';
    const stream = new Writable({
      write(chunk, _encoding, done) {
        raw += chunk.toString();
        done();
      },
    });
    metrics = new RecordingMetrics();
    fastify = Fastify({ genReqId: (req) => String(req.headers['x-request-id'] ?? 'generated-id') });
    installHttpTelemetry(fastify, createLogger({ service: 'api', level: 'info', destination: stream }), metrics);
    fastify.post('/v1/issues/:id/notes', async () => ({ request_id: currentRequestId() }));
    fastify.post('/v1/issues/:id/log-files', async (_request, reply) => reply.code(202).send({ id: 'f-1', file_size: 1234 }));
    fastify.post('/v1/issues/:id/images', async (_request, reply) => reply.code(415).send({ error: { code: 'UNSUPPORTED_FILE_TYPE' } }));
    fastify.get('/health/live', async () => ({ ok: true }));
    await fastify.ready();
  });
  afterEach(() => fastify.close());

  it('writes one line per request: method, route pattern, status, duration, request id; no header, body or query values', async () => {
    const response = await fastify.inject({
      method: 'POST',
      url: `/v1/issues/abc/notes?q=${encodeURIComponent(CONTENT)}`,
      headers: { authorization: `Bearer ${SECRET}`, cookie: `session=${SECRET}`, 'x-api-key': SECRET, 'x-request-id': 'req-42' },
      payload: { description: CONTENT, password: SECRET },
    });
    expect(response.statusCode).toBe(200);
    expect(lines()).toEqual([
      expect.objectContaining({
        level: 'info',
        service: 'api',
        request_id: 'req-42',
        method: 'POST',
        route: '/v1/issues/:id/notes',
        status: 200,
        duration_ms: expect.any(Number),
      }),
    ]);
    expect(raw).not.toContain(SECRET);
    expect(raw).not.toContain('CANARY');
    expect(raw).not.toContain('abc');
    expect(metrics.requests).toEqual([['POST', '/v1/issues/:id/notes', 200]]);
  });

  it('makes the request id available to the handler after the body was parsed (the outbox reads it there)', async () => {
    const response = await fastify.inject({
      method: 'POST',
      url: '/v1/issues/abc/notes',
      headers: { 'x-request-id': 'req-7' },
      payload: { a: 1 },
    });
    expect(response.json()).toEqual({ request_id: 'req-7' });
    expect(currentRequestId()).toBeUndefined();
  });

  it('labels a request no route matched as unmatched, never with its URL', async () => {
    await fastify.inject({ method: 'GET', url: `/v1/secret-${SECRET}` });
    expect(lines()[0]).toMatchObject({ route: 'unmatched', status: 404 });
    expect(raw).not.toContain(SECRET);
  });

  it('counts uploads: the stored size of an accepted one, and a refused one without bytes', async () => {
    await fastify.inject({ method: 'POST', url: '/v1/issues/abc/log-files', payload: { x: 1 } });
    await fastify.inject({ method: 'POST', url: '/v1/issues/abc/images', payload: { x: 1 } });
    await fastify.inject({ method: 'POST', url: '/v1/issues/abc/notes', payload: { x: 1 } });
    expect(metrics.uploads).toEqual([
      ['log_file', true, 1234],
      ['image', false, null],
    ]);
  });

  it('logs probes at debug, so an info log is not flooded by them', async () => {
    await fastify.inject({ method: 'GET', url: '/health/live' });
    expect(lines()).toEqual([]);
    expect(metrics.requests).toEqual([['GET', '/health/live', 200]]);
  });
});
