import { join } from 'node:path';
import { loadMigrations, openDatabase } from '@tftsr/db';
import type { RunningApp, RunningStack } from '../support/app-processes';
import { getJson, startStack, waitFor } from '../support/app-processes';
import { TEST_KEY } from '../support/temp-dir';

const ADMIN_KEY = `tftsr_e2e-ping-${'k'.repeat(32)}`;
const auth = { authorization: `Bearer ${ADMIN_KEY}` };

describe('the API and the worker, as real processes', () => {
  let stack: RunningStack;
  let api: RunningApp;
  let worker: RunningApp;
  let base: string;

  beforeAll(async () => {
    // The ping is an admin route; the first key comes from the variable containers use.
    stack = await startStack('ping', ADMIN_KEY);
    ({ api, worker, base } = stack);
  });

  afterAll(() => stack.stop());

  it('answers liveness', async () => {
    expect(await getJson(`${base}/health/live`)).toEqual({ status: 200, body: { status: 'ok' } });
  });

  it('reports every readiness check as ok', async () => {
    const { body } = await getJson(`${base}/health/ready`);
    expect(body).toEqual({
      ready: true,
      checks: {
        database: { ok: true },
        database_lock: { ok: true },
        migrations: { ok: true },
        redis: { ok: true },
        redis_eviction_policy: { ok: true },
        disk_space: { ok: true },
        outbox: { ok: true },
        stuck_files: { ok: true },
        clock: { ok: true },
      },
    });
  });

  it('runs a ping through Redis and the worker, and the API sees the result', async () => {
    const accepted = await getJson(`${base}/v1/system/ping`, { method: 'POST', headers: auth });
    expect(accepted.status).toBe(202);
    const result = await waitFor(
      async () => {
        const { body } = await getJson(`${base}/v1/system/ping/${accepted.body.ping_id}`, { headers: auth });
        return body.state === 'completed' ? body.result : undefined;
      },
      10_000,
      () => worker.output(),
    );
    expect(result).toEqual({
      pong: true,
      ping_id: accepted.body.ping_id,
      worker_pid: worker.child.pid,
      migrations_applied: loadMigrations().length,
    });
  });

  it('answers an unknown ping with 404 JOB_NOT_FOUND', async () => {
    const { status, body } = await getJson(`${base}/v1/system/ping/0190b6c4-1a2b-7c3d-8e4f-0123456789ab`, { headers: auth });
    expect(status).toBe(404);
    expect(body.error.code).toBe('JOB_NOT_FOUND');
    expect(typeof body.request_id).toBe('string');
  });

  it('refuses the ping without an admin key', async () => {
    const { status, body } = await getJson(`${base}/v1/system/ping`, { method: 'POST' });
    expect([status, body.error.code]).toEqual([401, 'UNAUTHENTICATED']);
  });

  it('answers a malformed id with 400 VALIDATION_FAILED', async () => {
    const { status, body } = await getJson(`${base}/v1/system/ping/not-a-uuid`, { headers: auth });
    expect([status, body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('answers broken JSON with 400 INVALID_JSON, and an unknown route with 404 ROUTE_NOT_FOUND', async () => {
    const broken = await getJson(`${base}/v1/system/ping`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{oops',
    });
    expect([broken.status, broken.body.error.code]).toEqual([400, 'INVALID_JSON']);
    const unknown = await getJson(`${base}/v1/nothing-here`);
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'ROUTE_NOT_FOUND']);
  });

  it('echoes a sane x-request-id and uses it as the error’s request_id', async () => {
    const response = await fetch(`${base}/v1/nothing-here`, { headers: { 'x-request-id': 'trace-abc.123' } });
    expect(response.headers.get('x-request-id')).toBe('trace-abc.123');
    expect(((await response.json()) as { request_id: string }).request_id).toBe('trace-abc.123');
  });

  it('serves the OpenAPI document and the docs page', async () => {
    const doc = await getJson(`${base}/openapi.json`);
    expect(doc.body.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/health/live', '/health/ready', '/v1/system/ping', '/v1/system/ping/{ping_id}']),
    );
    const docs = await fetch(`${base}/docs`);
    expect([docs.status, await docs.text()]).toEqual([200, expect.stringContaining('swagger-ui')]);
  });

  it('stops both processes cleanly on SIGTERM, with exit code 0', async () => {
    const codes = await Promise.all([worker.stop('SIGTERM'), api.stop('SIGTERM')]);
    expect(codes).toEqual([0, 0]);
    expect(worker.output()).not.toMatch(/"level":"(error|fatal)"/);
  });

  it('left one migrated database although both processes created it at once', () => {
    const db = openDatabase({ path: join(stack.dataDir, 'tftsr.db'), key: TEST_KEY });
    expect(db.prepare('SELECT count(*) AS n FROM _migrations').get()).toEqual({ n: loadMigrations().length });
    db.close();
  });
});
