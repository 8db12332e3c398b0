import type { ApiKeyScope } from '@tftsr/db';
import { DomainError, ErrorCode } from '../common/domain-error';
import type { GateRequest } from './dashboard-gate';
import { DashboardGate, presentedKey } from './dashboard-gate';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** Keys by value; the rate limiter allows `budget` calls. Both are stand-ins for the API's own services. */
function gate(keys: Record<string, ApiKeyScope[]>, budget = Infinity): DashboardGate {
  let left = budget;
  return new DashboardGate(
    { authenticate: (key: string) => (keys[key] ? { id: `id-${key}`, name: key, scopes: keys[key] } : null) },
    { take: () => (left-- > 0 ? { allowed: true } : { allowed: false, retryAfterSeconds: 3 }) },
  );
}

const request = (authorization: string | undefined, overrides: Partial<GateRequest> = {}): GateRequest => ({
  method: 'GET',
  route: '/admin/queues/api/queues',
  headers: { authorization },
  ...overrides,
});

function refusal(fn: () => unknown): [ErrorCode, Record<string, string> | undefined] {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return [err.code, err.headers];
    throw err;
  }
  throw new Error('admitted');
}

describe('presentedKey', () => {
  it('reads a Bearer key, and a Basic password whatever the user name', () => {
    expect(presentedKey('Bearer tftsr_abc')).toBe('tftsr_abc');
    expect(presentedKey(basic('admin', 'tftsr_abc'))).toBe('tftsr_abc');
    expect(presentedKey(basic('', 'tftsr_abc'))).toBe('tftsr_abc');
  });

  it('finds no key in anything else', () => {
    for (const header of [
      undefined,
      '',
      'Bearer',
      'Basic',
      'Basic !!!',
      basic('admin', ''),
      `Basic ${Buffer.from('no-colon').toString('base64')}`,
      'Digest x',
      basic('a', 'has space'),
    ]) {
      expect(presentedKey(header)).toBeNull();
    }
  });
});

describe('DashboardGate', () => {
  const keys: Record<string, ApiKeyScope[]> = { admin: ['admin'], writer: ['read', 'write'] };

  it('admits an admin key given as Bearer or as a Basic password', () => {
    expect(gate(keys).admit(request('Bearer admin')).name).toBe('admin');
    expect(gate(keys).admit(request(basic('ops', 'admin'))).name).toBe('admin');
  });

  it('answers no key or an unknown one with 401 and a Basic challenge, so a browser asks for the key', () => {
    for (const header of [undefined, 'Bearer nobody', basic('ops', 'nobody')]) {
      const [code, headers] = refusal(() => gate(keys).admit(request(header)));
      expect(code).toBe(ErrorCode.UNAUTHENTICATED);
      expect(headers?.['WWW-Authenticate']).toMatch(/^Basic realm=/);
    }
  });

  it('answers a key without admin with 403, and a key past its rate with 429 and Retry-After', () => {
    expect(refusal(() => gate(keys).admit(request('Bearer writer')))[0]).toBe(ErrorCode.FORBIDDEN);
    expect(refusal(() => gate(keys, 0).admit(request('Bearer admin')))).toEqual([ErrorCode.RATE_LIMITED, { 'Retry-After': '3' }]);
  });

  it('refuses the actions that would put data of the caller’s choosing into Redis', () => {
    const add = request('Bearer admin', { method: 'POST', route: '/admin/queues/api/queues/:queueName/add' });
    const edit = request('Bearer admin', { method: 'PATCH', route: '/admin/queues/api/queues/:queueName/:jobId/update-data' });
    expect(refusal(() => gate(keys).admit(add))[0]).toBe(ErrorCode.QUEUE_ACTION_NOT_ALLOWED);
    expect(refusal(() => gate(keys).admit(edit))[0]).toBe(ErrorCode.QUEUE_ACTION_NOT_ALLOWED);
    expect(
      gate(keys).admit(request('Bearer admin', { method: 'PUT', route: '/admin/queues/api/queues/:queueName/:jobId/retry' })).name,
    ).toBe('admin');
  });

  it('refuses a write another site sends with the browser’s cached credentials', () => {
    const retry = (site: string) =>
      request(basic('ops', 'admin'), {
        method: 'PUT',
        route: '/admin/queues/api/queues/:queueName/:jobId/retry',
        headers: { authorization: basic('ops', 'admin'), 'sec-fetch-site': site },
      });
    expect(refusal(() => gate(keys).admit(retry('cross-site')))[0]).toBe(ErrorCode.FORBIDDEN);
    expect(refusal(() => gate(keys).admit(retry('same-site')))[0]).toBe(ErrorCode.FORBIDDEN);
    expect(gate(keys).admit(retry('same-origin')).name).toBe('admin');
  });
});
