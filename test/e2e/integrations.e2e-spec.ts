import { createHash } from 'node:crypto';
import type { Server } from 'node:net';
import { createServer } from 'node:net';
import { deriveKey } from '@tftsr/db';
import { credentialHash, decryptCredential } from '@tftsr/integrations';
import { failure, useTestApi } from '../support/api-harness';
import { FakeConfluence } from '../support/fakes/fake-confluence';
import { SSRF_MATRIX } from '../support/ssrf-matrix';
import { TEST_KEY } from '../support/temp-dir';

const CANARY = 'canary-confluence-token-5f1d2c9e7a';

describe('integrations API', () => {
  let fake: FakeConfluence;
  let listener: Server;
  let listenerConnections = 0;
  let listenerPort: number;

  beforeAll(async () => {
    fake = await FakeConfluence.start({ auth: { email: 'ops@example.com', token: CANARY } });
    // An "internal" service the SSRF checks must never reach: it counts every connection.
    listener = createServer((socket) => {
      listenerConnections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    listenerPort = (listener.address() as { port: number }).port;
  });
  const api = useTestApi('integrations', () => ({ TFTSR_TEST_INTEGRATION_ORIGINS: fake.origin }));
  afterAll(async () => {
    await fake.close();
    await new Promise((resolve) => listener.close(resolve));
  });

  const saveConfig = (service: string, body: Record<string, unknown>, key?: string) =>
    api.call('PUT', `/v1/integrations/${service}/config`, { body, key });

  it('lists the three services, unconfigured, with no credential', async () => {
    const result = await api.call('GET', '/v1/integrations');
    expect(result.status).toBe(200);
    expect(result.body.items.map((i: { service: string }) => i.service)).toEqual(['confluence', 'servicenow', 'azuredevops']);
    expect(result.body.items[0]).toMatchObject({
      configured: false,
      auto_create_enabled: false,
      credential: { set: false, expired: false },
    });
  });

  it('stores the config, one row per service, replaced in place and audited', async () => {
    const first = await saveConfig('azuredevops', { base_url: 'https://dev.azure.com/fabrikam/', project_name: 'Fabrikam Fiber' });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      service: 'azuredevops',
      configured: true,
      base_url: 'https://dev.azure.com/fabrikam',
      project_name: 'Fabrikam Fiber',
    });
    const second = await saveConfig('azuredevops', {
      base_url: 'https://fabrikam.visualstudio.com',
      project_name: 'Other',
      auto_create_enabled: true,
    });
    expect(second.body).toMatchObject({ base_url: 'https://fabrikam.visualstudio.com', project_name: 'Other', auto_create_enabled: true });
    expect(api.db.prepare(`SELECT count(*) AS n FROM integration_config WHERE service = 'azuredevops'`).get()).toEqual({ n: 1 });
    expect(api.db.prepare(`SELECT count(*) AS n FROM audit_log WHERE action = 'save_integration_config'`).get()).toEqual({ n: 2 });
  });

  it.each([
    ['confluence', { base_url: 'https://acme.atlassian.net' }, /space_key/],
    ['servicenow', { base_url: 'https://acme.service-now.com' }, /username/],
    ['azuredevops', { base_url: 'https://dev.azure.com/acme' }, /project_name/],
  ])('requires what %s cannot work without', async (service, body, message) => {
    const result = await saveConfig(service, body);
    expect(failure(result)).toEqual([400, 'VALIDATION_FAILED']);
    expect(result.body.error.message).toMatch(message);
  });

  describe('server-side request forgery (reference §6, test 21), at save time', () => {
    // Plus two loopback URLs that differ from the test allowance only by port or by name.
    const matrix = () => [...SSRF_MATRIX, `http://127.0.0.1:${listenerPort}`, `http://localhost:${listenerPort}`];

    it('refuses every URL of the matrix with 400 INVALID_INTEGRATION_URL, and nothing connects', async () => {
      for (const url of matrix()) {
        const result = await saveConfig('confluence', { base_url: url, space_key: 'ENG' });
        expect([url, ...failure(result)]).toEqual([url, 400, 'INVALID_INTEGRATION_URL']);
      }
      expect(api.db.prepare(`SELECT count(*) AS n FROM integration_config WHERE service = 'confluence'`).get()).toEqual({ n: 0 });
      expect(listenerConnections).toBe(0);
    });

    it('accepts an on-premise host only once an admin adds it to integrations.allowed_hosts', async () => {
      expect(failure(await saveConfig('servicenow', { base_url: 'https://servicenow.corp.example', username: 'svc' }))).toEqual([
        400,
        'INVALID_INTEGRATION_URL',
      ]);
      expect(
        (await api.call('PUT', '/v1/settings/integrations.allowed_hosts', { body: { value: ['servicenow.corp.example'] } })).status,
      ).toBe(200);
      try {
        expect((await saveConfig('servicenow', { base_url: 'https://servicenow.corp.example', username: 'svc' })).status).toBe(200);
      } finally {
        await api.call('PUT', '/v1/settings/integrations.allowed_hosts', { body: { value: [] } });
      }
      for (const value of [['*.corp.example'], ['10.0.0.5'], ['https://x.example'], ['host.example:8443']]) {
        expect(failure(await api.call('PUT', '/v1/settings/integrations.allowed_hosts', { body: { value } }))).toEqual([
          400,
          'INVALID_SETTING_VALUE',
        ]);
      }
    });
  });

  describe('credentials', () => {
    it('stores the secret in the seed’s format under its own key, and never returns it', async () => {
      const result = await api.call('PUT', '/v1/integrations/confluence/credential', { body: { secret: CANARY } });
      expect(result.status).toBe(200);
      expect(result.body.credential).toMatchObject({ set: true, expired: false, expires_at: null });
      const row = api.db.prepare(`SELECT * FROM credentials WHERE service = 'confluence'`).get() as {
        token_hash: string;
        encrypted_token: string;
      };
      expect(JSON.stringify(result.body)).not.toContain(CANARY);
      expect(JSON.stringify(result.body)).not.toContain(row.encrypted_token);
      expect(JSON.stringify((await api.call('GET', '/v1/integrations')).body)).not.toContain(CANARY);
      // A keyed HMAC (issue 13): a bare SHA-256 of a weak secret could be cracked from a backup.
      expect(row.token_hash).toBe(credentialHash(CANARY, deriveKey(TEST_KEY, 'credential-token-hmac')));
      expect(row.token_hash).not.toContain(createHash('sha256').update(CANARY).digest('hex'));
      expect(row.encrypted_token).not.toContain(CANARY);
      expect(Buffer.from(row.encrypted_token, 'base64').length).toBe(12 + Buffer.byteLength(CANARY) + 16);
      expect(decryptCredential(row.encrypted_token, 'confluence', deriveKey(TEST_KEY, 'credential-encryption'))).toBe(CANARY);
      const audit = api.db.prepare(`SELECT details FROM audit_log WHERE action = 'save_credential'`).all() as { details: string }[];
      expect(audit.map((a) => JSON.parse(a.details).token_hash)).toContain(row.token_hash);
      expect(JSON.stringify(audit)).not.toContain(CANARY);
    });

    it('reports an expiry, and an expired credential as expired', async () => {
      const result = await api.call('PUT', '/v1/integrations/servicenow/credential', {
        body: { secret: 'sn-password', expires_at: '2001-01-01T00:00:00Z' },
      });
      expect(result.body.credential).toMatchObject({ set: true, expired: true, expires_at: '2001-01-01T00:00:00.000Z' });
      expect((await api.call('DELETE', '/v1/integrations/servicenow/credential')).status).toBe(204);
      expect(failure(await api.call('DELETE', '/v1/integrations/servicenow/credential'))).toEqual([409, 'CREDENTIAL_NOT_SET']);
    });

    it.each([[{}], [{ secret: '' }], [{ secret: 'two\nlines' }], [{ secret: 'x', expires_at: 'tomorrow' }]])(
      'refuses %j with 400',
      async (body) => {
        expect(failure(await api.call('PUT', '/v1/integrations/confluence/credential', { body }))).toEqual([400, 'VALIDATION_FAILED']);
      },
    );
  });

  it('is for admins only: a write key gets 403 everywhere', async () => {
    const writer = api.createKey('writer', ['write']);
    expect(failure(await api.call('GET', '/v1/integrations', { key: writer }))).toEqual([403, 'FORBIDDEN']);
    expect(failure(await saveConfig('confluence', { base_url: 'https://acme.atlassian.net', space_key: 'ENG' }, writer))).toEqual([
      403,
      'FORBIDDEN',
    ]);
    expect(failure(await api.call('PUT', '/v1/integrations/confluence/credential', { key: writer, body: { secret: 'x' } }))).toEqual([
      403,
      'FORBIDDEN',
    ]);
  });

  it('answers an unknown service with 404 UNKNOWN_INTEGRATION', async () => {
    expect(failure(await saveConfig('jira', { base_url: 'https://x.atlassian.net' }))).toEqual([404, 'UNKNOWN_INTEGRATION']);
    expect(failure(await api.call('POST', '/v1/integrations/jira/test'))).toEqual([404, 'UNKNOWN_INTEGRATION']);
  });

  describe('POST /v1/integrations/:service/test', () => {
    it('says what is missing, and checks the stored URL again', async () => {
      await api.call('DELETE', '/v1/integrations/azuredevops/credential');
      expect((await api.call('POST', '/v1/integrations/azuredevops/test')).body).toMatchObject({ ok: false, failure: 'credential' });
      // servicenow.corp.example was allowed when saved, and has been removed from integrations.allowed_hosts since.
      expect((await api.call('POST', '/v1/integrations/servicenow/test')).body).toMatchObject({ ok: false, failure: 'invalid_url' });
    });

    it('connects to the (fake) service and authenticates', async () => {
      expect((await saveConfig('confluence', { base_url: fake.baseUrl, space_key: 'ENG', username: 'ops@example.com' })).status).toBe(200);
      await api.call('PUT', '/v1/integrations/confluence/credential', { body: { secret: CANARY } });
      const result = await api.call('POST', '/v1/integrations/confluence/test');
      expect(result.body).toMatchObject({ ok: true });
      expect(fake.violations).toEqual([]);
    });

    it('reports a rejected credential in words, without echoing it', async () => {
      await api.call('PUT', '/v1/integrations/confluence/credential', { body: { secret: 'wrong-token-canary-77' } });
      const result = await api.call('POST', '/v1/integrations/confluence/test');
      expect(result.body).toMatchObject({ ok: false, failure: 'auth', status: 401 });
      expect(JSON.stringify(result.body)).not.toContain('wrong-token-canary-77');
      await api.call('PUT', '/v1/integrations/confluence/credential', { body: { secret: CANARY } });
    });

    it('reports a 404 (unknown space) and a 403 in words', async () => {
      fake.failNext('any', { status: 403 });
      expect((await api.call('POST', '/v1/integrations/confluence/test')).body).toMatchObject({
        ok: false,
        failure: 'forbidden',
        status: 403,
      });
      await saveConfig('confluence', { base_url: fake.baseUrl, space_key: 'NOPE', username: 'ops@example.com' });
      expect((await api.call('POST', '/v1/integrations/confluence/test')).body).toMatchObject({ ok: false, failure: 'not_found' });
    });
  });
});
