import type { TestApi } from '../support/api-harness';
import { startTestApi } from '../support/api-harness';
import { freePort } from '../support/app-processes';
import { uniqueQueuePrefix } from '../support/temp-dir';

/**
 * Issue 13, item 2: failed authentication is limited per client address and over all addresses, in Redis so that
 * replicas share the count; every answer carries RateLimit headers, and a 429 says when to retry. While Redis is
 * away, the same limits count in the API process: a Redis outage never lifts them.
 */
describe('address and failed-authentication limits', () => {
  const apis: TestApi[] = [];
  const start = async (label: string, env: Record<string, string>) => {
    const api = await startTestApi(label, env);
    apis.push(api);
    return api;
  };

  afterAll(async () => {
    await Promise.all(apis.map((api) => api.close()));
  });

  const get = async (api: TestApi, path: string, key: string | null) => {
    const response = await fetch(`${api.base}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
    const body = (await response.json()) as { error?: { code: string } };
    return { status: response.status, code: body.error?.code, headers: response.headers };
  };

  it('answers garbage keys from one address 429 with Retry-After once past its budget, and the address stays refused', async () => {
    const api = await start('sec-addr', { TFTSR_AUTH_FAILURES_PER_ADDRESS_PER_MINUTE: '5' });
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await get(api, '/v1/auth/whoami', `tftsr_garbage_${i}`)).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual(Array(7).fill(429));
    const refused = await get(api, '/v1/auth/whoami', 'tftsr_garbage_x');
    expect([refused.status, refused.code]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Past its budget, the address is refused before its key is even looked at.
    expect((await get(api, '/v1/auth/whoami', api.adminKey)).status).toBe(429);
  });

  it('counts garbage keys on the log shipper routes against the same budget, refused in the protocol they speak', async () => {
    const api = await start('sec-addr-ship', { TFTSR_AUTH_FAILURES_PER_ADDRESS_PER_MINUTE: '3' });
    const bulk = (key: string) =>
      fetch(`${api.base}/_bulk`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' },
        body: '{"index":{}}\n{"message":"x"}\n',
      });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await bulk(`tftsr_garbage_${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
    // The address is spent for every route, not only for the shippers'.
    expect((await get(api, '/v1/auth/whoami', 'tftsr_garbage_x')).status).toBe(429);
  });

  it('limits failures over all addresses and all replicas together, while valid keys still pass', async () => {
    const prefix = uniqueQueuePrefix('sec-global');
    const env = { TFTSR_QUEUE_PREFIX: prefix, TFTSR_AUTH_FAILURES_PER_MINUTE: '4' };
    const [a, b] = [await start('sec-global-a', env), await start('sec-global-b', env)];
    expect((await get(a, '/v1/auth/whoami', 'tftsr_nope_1')).status).toBe(401);
    expect((await get(b, '/v1/auth/whoami', 'tftsr_nope_2')).status).toBe(401);
    expect((await get(a, '/v1/auth/whoami', 'tftsr_nope_3')).status).toBe(401);
    expect((await get(b, '/v1/auth/whoami', 'tftsr_nope_4')).status).toBe(401);
    const past = await get(b, '/v1/auth/whoami', 'tftsr_nope_5');
    expect([past.status, past.code]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(past.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await get(a, '/v1/auth/whoami', null)).status).toBe(429);
    expect((await get(a, '/v1/auth/whoami', a.adminKey)).status).toBe(200);
  });

  it('limits all requests of one address, and sends RateLimit headers on every answer', async () => {
    const api = await start('sec-rate', { TFTSR_RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '6' });
    const answers = [
      await get(api, '/v1/auth/whoami', api.adminKey),
      await get(api, '/v1/auth/whoami', null),
      await get(api, '/v1/nothing-here', api.adminKey),
      await get(api, '/health/live', null),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 401, 404, 200]);
    // The harness read /openapi.json once at start, from the same address.
    const first = Number(answers[0].headers.get('ratelimit-remaining'));
    for (const [i, answer] of answers.entries()) {
      expect(answer.headers.get('ratelimit-limit')).toBe('6');
      expect(answer.headers.get('ratelimit-remaining')).toBe(String(first - i));
      expect(Number(answer.headers.get('ratelimit-reset'))).toBeGreaterThan(0);
    }
    for (let left = first - answers.length; left >= 0; left--) expect((await get(api, '/v1/auth/whoami', api.adminKey)).status).toBe(200);
    const past = await get(api, '/v1/auth/whoami', api.adminKey);
    expect([past.status, past.code, past.headers.get('ratelimit-remaining')]).toEqual([429, 'RATE_LIMITED', '0']);
    expect(Number(past.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('still limits failed authentications and all requests of an address while Redis is unreachable', async () => {
    const api = await start('sec-addr-no-redis', {
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      TFTSR_AUTH_FAILURES_PER_ADDRESS_PER_MINUTE: '3',
      TFTSR_RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '8',
    });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await get(api, '/v1/auth/whoami', `tftsr_garbage_${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    // The harness read /openapi.json once at start: 6 of the address's 8 requests are spent.
    const next = await get(api, '/health/live', null);
    expect([next.status, next.headers.get('ratelimit-remaining')]).toEqual([200, '1']);
    expect((await get(api, '/health/live', null)).status).toBe(200);
    const past = await get(api, '/health/live', null);
    expect([past.status, past.code]).toEqual([429, 'RATE_LIMITED']);
    expect(Number(past.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
