import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ApiKeyRepository, toDbTimestamp } from '@tftsr/db';
import { factory } from '../support/factory';
import { failure, statusOf, useTestApi } from '../support/api-harness';
import { TEST_KEY } from '../support/temp-dir';

const CLI = join(__dirname, '..', '..', 'dist', 'apps', 'cli', 'src', 'main.js');

const BURST = 20;

describe('API keys: authentication, scopes and rate limits', () => {
  // One request a minute after a burst of 20: enough for this file, and a flood trips it at once.
  const api = useTestApi('auth', { TFTSR_RATE_LIMIT_BURST: String(BURST), TFTSR_RATE_LIMIT_PER_MINUTE: '1' });

  it('leaves /health/* and the OpenAPI document open to callers without a key', async () => {
    // Raw fetches: these routes are the lead's, and /health/live declares no response schema yet.
    expect(await statusOf(`${api.base}/health/live`)).toBe(200);
    expect(await statusOf(`${api.base}/openapi.json`)).toBe(200);
    expect(await statusOf(`${api.base}/docs`)).toBe(200);
  });

  it('answers a request without a key with 401 UNAUTHENTICATED and a Bearer challenge', async () => {
    const result = await api.call('GET', '/v1/issues', { key: null });
    expect(failure(result)).toEqual([401, 'UNAUTHENTICATED']);
    expect(result.headers.get('www-authenticate')).toBe('Bearer');
  });

  it.each([
    ['another scheme', { authorization: 'Basic dXNlcjpwYXNz' }],
    ['an empty Bearer', { authorization: 'Bearer ' }],
    ['a key with a space', { authorization: 'Bearer tftsr_a b' }],
  ])('answers %s with 401 UNAUTHENTICATED', async (_, headers) => {
    expect(failure(await api.call('GET', '/v1/issues', { key: null, headers }))).toEqual([401, 'UNAUTHENTICATED']);
  });

  it('answers a wrong key and a revoked key with 401 UNAUTHENTICATED', async () => {
    expect(failure(await api.call('GET', '/v1/issues', { key: `${api.adminKey.slice(0, 20)}${'A'.repeat(29)}` }))).toEqual([
      401,
      'UNAUTHENTICATED',
    ]);
    const key = api.createKey('soon-revoked', ['read']);
    expect((await api.call('GET', '/v1/issues', { key })).status).toBe(200);
    // Revoked behind the API's back, as another replica would: its cached lookup lives less than a second.
    new ApiKeyRepository(api.db).revoke('soon-revoked', toDbTimestamp());
    await refusedWithin(1000, key);
  });

  it('refuses a key revoked by `tftsr keys revoke` in another process within a second', async () => {
    const key = api.createKey('revoked-by-cli', ['read']);
    expect((await api.call('GET', '/v1/issues', { key })).status).toBe(200);
    const cli = spawnSync(process.execPath, [CLI, 'keys', 'revoke', 'revoked-by-cli'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', TFTSR_DATA_DIR: api.dataDir, TFTSR_DB_KEY: TEST_KEY },
    });
    expect({ status: cli.status, out: cli.stdout.trim() }).toEqual({ status: 0, out: 'revoked revoked-by-cli' });
    await refusedWithin(1000, key);
  });

  /** Polls with the key until it is refused 401; fails if it is still admitted `ms` after the revocation. */
  async function refusedWithin(ms: number, key: string): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      const result = await api.call('GET', '/v1/issues', { key });
      if (result.status !== 200 || Date.now() > deadline) {
        expect(failure(result)).toEqual([401, 'UNAUTHENTICATED']);
        return;
      }
      // 100 ms apart: a handful of requests, well inside this file's per-key burst.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('answers a key without the route’s scope with 403 FORBIDDEN naming the scope', async () => {
    const reader = api.createKey('reader', ['read']);
    expect((await api.call('GET', '/v1/issues', { key: reader })).status).toBe(200);
    const result = await api.call('POST', '/v1/issues', { key: reader, body: factory.issue() });
    expect(failure(result)).toEqual([403, 'FORBIDDEN']);
    expect(result.body.error.details).toEqual({ missing_scopes: ['write'] });
  });

  it('lets write include read and admin include both, but never implies pii:reveal or read from it', async () => {
    const writer = api.createKey('writer', ['write']);
    expect((await api.call('GET', '/v1/issues', { key: writer })).status).toBe(200);
    expect((await api.call('POST', '/v1/issues', { key: writer, body: factory.issue() })).status).toBe(201);
    const revealer = api.createKey('revealer', ['pii:reveal']);
    expect(failure(await api.call('GET', '/v1/issues', { key: revealer }))).toEqual([403, 'FORBIDDEN']);
  });

  it('protects a route without @RequireScopes (the lead’s /v1/system/ping) with admin', async () => {
    const writer = api.createKey('writer-2', ['write']);
    const response = await fetch(`${api.base}/v1/system/ping/0190b6c4-1a2b-7c3d-8e4f-0123456789ab`, {
      headers: { authorization: `Bearer ${writer}` },
    });
    expect(response.status).toBe(403);
    const anonymous = await fetch(`${api.base}/v1/system/ping/0190b6c4-1a2b-7c3d-8e4f-0123456789ab`);
    expect(anonymous.status).toBe(401);
  });

  it('tells a key its name and scopes', async () => {
    const key = api.createKey('whoami-test', ['read', 'pii:reveal']);
    expect((await api.call('GET', '/v1/auth/whoami', { key })).body).toEqual({ name: 'whoami-test', scopes: ['read', 'pii:reveal'] });
  });

  it('recorded the first key, made from TFTSR_BOOTSTRAP_API_KEY, in the audit trail', () => {
    const entry = api.db.prepare(`SELECT user_id, details FROM audit_log WHERE action = 'create_api_key'`).get() as {
      user_id: string;
      details: string;
    };
    expect(entry.user_id).toBe('local');
    expect(JSON.parse(entry.details)).toEqual({ name: 'bootstrap', scopes: ['read', 'write', 'admin'], source: 'TFTSR_BOOTSTRAP_API_KEY' });
    expect(entry.details).not.toContain(api.adminKey);
  });

  it('answers a key past its rate with 429 RATE_LIMITED and Retry-After, without slowing other keys', async () => {
    const flooder = api.createKey('flooder', ['read']);
    for (let n = 0; n < BURST; n += 1) expect((await api.call('GET', '/v1/auth/whoami', { key: flooder })).status).toBe(200);
    const limited = await api.call('GET', '/v1/auth/whoami', { key: flooder });
    expect(failure(limited)).toEqual([429, 'RATE_LIMITED']);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.body.error.details.retry_after_seconds).toBe(Number(limited.headers.get('retry-after')));
    expect((await api.call('GET', '/v1/auth/whoami', { key: api.createKey('bystander', ['read']) })).status).toBe(200);
  });
});
