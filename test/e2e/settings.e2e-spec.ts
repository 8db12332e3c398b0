import fc from 'fast-check';
import { failure, useTestApi } from '../support/api-harness';

describe('settings API', () => {
  const api = useTestApi('settings');
  let readKey: string;
  let writeKey: string;

  beforeAll(async () => {
    readKey = api.createKey('reader', ['read']);
    writeKey = api.createKey('writer', ['write']);
  });

  describe('GET /v1/settings', () => {
    it('lists every known key with its default, for a read-only key', async () => {
      const { status, body } = await api.call('GET', '/v1/settings', { key: readKey });
      expect(status).toBe(200);
      const keys = body.items.map((s: { key: string }) => s.key);
      expect(keys).toEqual(
        expect.arrayContaining([
          'pii.enabled_types',
          'pii.allow_list',
          'ai.provider_url',
          'ai.model',
          'publishing.default_target',
          'uploads.max_file_bytes',
        ]),
      );
      expect(body.items.find((s: { key: string }) => s.key === 'uploads.max_file_bytes')).toMatchObject({
        value: 1073741824,
        is_default: true,
        updated_at: null,
      });
    });
  });

  describe('GET /v1/settings/:key', () => {
    it('returns one setting', async () => {
      const { status, body } = await api.call('GET', '/v1/settings/ai.model');
      expect([status, body.key, body.value]).toEqual([200, 'ai.model', 'llama3.2:3b']);
    });

    it('answers an unknown key with 404 SETTING_NOT_FOUND', async () => {
      expect(failure(await api.call('GET', '/v1/settings/theme'))).toEqual([404, 'SETTING_NOT_FOUND']);
    });
  });

  describe('PUT /v1/settings/:key', () => {
    it('stores a valid value, normalised, and audits only a hash of it', async () => {
      const { status, body } = await api.call('PUT', '/v1/settings/pii.allow_list', {
        body: { value: ['ops@example.com', 'ops@example.com'] },
      });
      expect(status).toBe(200);
      expect(body).toMatchObject({ key: 'pii.allow_list', value: ['ops@example.com'], is_default: false, updated_at: expect.any(String) });
      expect((await api.call('GET', '/v1/settings/pii.allow_list')).body.value).toEqual(['ops@example.com']);
      const entry = api.db
        .prepare(`SELECT details, user_id FROM audit_log WHERE action = 'update_setting' AND entity_id = 'pii.allow_list'`)
        .get() as Record<string, string>;
      expect(entry.user_id).toBe('bootstrap');
      expect(entry.details).not.toContain('ops@example.com');
      expect(JSON.parse(entry.details)).toEqual({ key: 'pii.allow_list', value_sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    });

    it('drops a trailing slash from the provider URL', async () => {
      expect(
        (await api.call('PUT', '/v1/settings/ai.provider_url', { body: { value: 'https://llm.internal.example/v1/' } })).body.value,
      ).toBe('https://llm.internal.example/v1');
    });

    it.each([
      ['pii.enabled_types', ['Email', 'Nickname'], /unknown PII type/],
      ['pii.enabled_types', 'Email', /array/],
      ['pii.allow_list', [''], /1 to 256/],
      ['ai.provider_url', 'ftp://host/x', /http or https/],
      ['ai.provider_url', 'https://user:secret@llm.example/v1', /credentials/],
      ['ai.provider_url', 'not a url', /absolute/],
      ['ai.model', 'x'.repeat(201), /1 to 200/],
      ['publishing.default_target', 'email', /one of none, confluence/],
      ['uploads.max_file_bytes', 0, /integer from 1/],
      ['uploads.max_files_per_issue', 2.5, /integer/],
      ['pii.custom_rules', [{ name: 'ticket', pattern: '(TCK-' }], /not valid RE2 syntax/],
      ['pii.custom_rules', [{ name: 'ticket', pattern: '(a)\\1' }], /not valid RE2 syntax/],
      ['pii.custom_rules', [{ name: 'ticket', pattern: 'x*' }], /empty string/],
      ['pii.custom_rules', [{ name: 'ticket' }], /pattern must be/],
      ['pii.custom_rules', [{ name: 'ticket', pattern: '[a-z]{1000}[0-9]{1000}' }], /too complex/],
    ])('refuses %s = %j with 400 INVALID_SETTING_VALUE saying why', async (key, value, why) => {
      const result = await api.call('PUT', `/v1/settings/${key}`, { body: { value } });
      expect(failure(result)).toEqual([400, 'INVALID_SETTING_VALUE']);
      expect(result.body.error.details.reason).toMatch(why);
    });

    it('answers a missing value or an unknown field with 400 VALIDATION_FAILED', async () => {
      expect(failure(await api.call('PUT', '/v1/settings/ai.model', { body: {} }))).toEqual([400, 'VALIDATION_FAILED']);
      expect(failure(await api.call('PUT', '/v1/settings/ai.model', { body: { value: 'm', note: 'x' } }))).toEqual([
        400,
        'VALIDATION_FAILED',
      ]);
    });

    it('answers an unknown key with 404 SETTING_NOT_FOUND', async () => {
      expect(failure(await api.call('PUT', '/v1/settings/theme', { body: { value: 'dark' } }))).toEqual([404, 'SETTING_NOT_FOUND']);
    });

    it('needs the admin scope: a write key gets 403 FORBIDDEN', async () => {
      expect(failure(await api.call('PUT', '/v1/settings/ai.model', { key: writeKey, body: { value: 'm' } }))).toEqual([403, 'FORBIDDEN']);
    });

    it('answers any JSON value with 200 or 400, and a 200 reads back the same (property)', async () => {
      const keys = [
        'pii.enabled_types',
        'pii.allow_list',
        'ai.provider',
        'ai.model',
        'publishing.default_doc_type',
        'uploads.max_files_per_issue',
      ];
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...keys),
          fc.oneof(fc.jsonValue(), fc.array(fc.constantFrom('Email', 'IPv4', 'x')), fc.integer()),
          async (key, value) => {
            const put = await api.call('PUT', `/v1/settings/${key}`, { body: { value } });
            expect([200, 400]).toContain(put.status);
            if (put.status === 200) expect((await api.call('GET', `/v1/settings/${key}`)).body.value).toEqual(put.body.value);
          },
        ),
        { numRuns: 80 },
      );
    });
  });
});
