import { failure, useTestApi } from '../support/api-harness';

describe('API keys API', () => {
  const api = useTestApi('api-keys');
  let writeKey: string;

  beforeAll(async () => {
    writeKey = api.createKey('writer', ['write']);
  });

  const auditCount = (action: string, entityId: string) =>
    (api.db.prepare('SELECT count(*) AS n FROM audit_log WHERE action = ? AND entity_id = ?').get(action, entityId) as { n: number }).n;

  it('creates a key whose secret is shown once and works at once, keeps only its hash, and audits it', async () => {
    const created = await api.call('POST', '/v1/api-keys', { body: { name: 'ci-bot', scopes: ['read', 'pii:reveal'] } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'ci-bot',
      scopes: ['read', 'pii:reveal'],
      revoked_at: null,
      key: expect.stringMatching(/^tftsr_/),
    });
    expect(created.body.key.startsWith(created.body.key_prefix)).toBe(true);
    const whoami = await api.call('GET', '/v1/auth/whoami', { key: created.body.key });
    expect(whoami.body).toEqual({ name: 'ci-bot', scopes: ['read', 'pii:reveal'] });
    const stored = JSON.stringify(api.db.prepare('SELECT * FROM api_keys WHERE id = ?').get(created.body.id));
    expect(stored).not.toContain(created.body.key);
    expect(auditCount('create_api_key', created.body.id)).toBe(1);

    const list = await api.call('GET', '/v1/api-keys');
    expect(list.status).toBe(200);
    const listed = list.body.items.find((k: { id: string }) => k.id === created.body.id);
    expect(listed).toMatchObject({ name: 'ci-bot', key_prefix: created.body.key_prefix });
    expect(listed.key).toBeUndefined();
    expect(JSON.stringify(list.body)).not.toContain(created.body.key);
  });

  it('revokes a key: it stops working at once, the revocation is audited, and a second revoke is 404', async () => {
    const created = await api.call('POST', '/v1/api-keys', { body: { name: 'short-lived', scopes: ['read'] } });
    const revoked = await api.call('DELETE', `/v1/api-keys/${created.body.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked_at).toEqual(expect.any(String));
    expect(failure(await api.call('GET', '/v1/auth/whoami', { key: created.body.key }))).toEqual([401, 'UNAUTHENTICATED']);
    expect(auditCount('revoke_api_key', created.body.id)).toBe(1);
    expect(failure(await api.call('DELETE', `/v1/api-keys/${created.body.id}`))).toEqual([404, 'API_KEY_NOT_FOUND']);
    expect(failure(await api.call('DELETE', '/v1/api-keys/nope'))).toEqual([404, 'API_KEY_NOT_FOUND']);
  });

  it('refuses a taken name with 409 API_KEY_NAME_TAKEN and writes nothing', async () => {
    const before = api.db.prepare('SELECT count(*) AS n FROM api_keys').get();
    expect(failure(await api.call('POST', '/v1/api-keys', { body: { name: 'writer', scopes: ['read'] } }))).toEqual([
      409,
      'API_KEY_NAME_TAKEN',
    ]);
    expect(api.db.prepare('SELECT count(*) AS n FROM api_keys').get()).toEqual(before);
  });

  it.each([
    [{ name: 'x', scopes: [] }],
    [{ name: 'x', scopes: ['root'] }],
    [{ name: 'has space', scopes: ['read'] }],
    [{ scopes: ['read'] }],
    [{ name: 'x', scopes: ['read', 'read'] }],
  ])('refuses %j with 400 VALIDATION_FAILED', async (body) => {
    expect(failure(await api.call('POST', '/v1/api-keys', { body }))).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('will not revoke the last active admin key', async () => {
    const adminId = (api.db.prepare(`SELECT id FROM api_keys WHERE name = 'bootstrap'`).get() as { id: string }).id;
    expect(failure(await api.call('DELETE', `/v1/api-keys/${adminId}`))).toEqual([409, 'LAST_ADMIN_KEY']);
    const second = await api.call('POST', '/v1/api-keys', { body: { name: 'second-admin', scopes: ['admin'] } });
    expect(failure(await api.call('DELETE', `/v1/api-keys/${second.body.id}`))).toEqual([200, undefined]);
  });

  it('is admin only: a write key gets 403 on every route', async () => {
    expect(failure(await api.call('GET', '/v1/api-keys', { key: writeKey }))).toEqual([403, 'FORBIDDEN']);
    expect(failure(await api.call('POST', '/v1/api-keys', { key: writeKey, body: { name: 'sneaky', scopes: ['admin'] } }))).toEqual([
      403,
      'FORBIDDEN',
    ]);
    expect(failure(await api.call('DELETE', '/v1/api-keys/nope', { key: writeKey }))).toEqual([403, 'FORBIDDEN']);
    expect(api.db.prepare(`SELECT count(*) AS n FROM api_keys WHERE name = 'sneaky'`).get()).toEqual({ n: 0 });
  });
});
