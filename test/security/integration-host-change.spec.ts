import type { TestApi } from '../support/api-harness';
import { startTestApi } from '../support/api-harness';

/**
 * Issue 13, item 6: a credential belongs to the host it was entered for. Moving an integration's base_url to
 * another (allowed) host drops the stored credential, audited; a change that keeps the host keeps it.
 */
describe('integration credential and a change of host', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi('sec-host');
  });

  afterAll(async () => {
    await api?.close();
  });

  const saveConfig = (baseUrl: string) =>
    api.call('PUT', '/v1/integrations/confluence/config', { body: { base_url: baseUrl, space_key: 'OPS' } });
  const credentialSet = async () =>
    ((await api.call('GET', '/v1/integrations')).body.items as { service: string; credential: { set: boolean } }[]).find(
      (i) => i.service === 'confluence',
    )!.credential.set;

  it('keeps the credential when the host stays, and drops it (audited) when the host changes', async () => {
    expect((await saveConfig('https://first.atlassian.net/wiki')).status).toBe(200);
    expect((await api.call('PUT', '/v1/integrations/confluence/credential', { body: { secret: 'api-token-for-first-host' } })).status).toBe(
      200,
    );
    expect((await saveConfig('https://first.atlassian.net/other')).body.credential.set).toBe(true);
    expect(await credentialSet()).toBe(true);

    const moved = await saveConfig('https://second.atlassian.net/wiki');
    expect(moved.status).toBe(200);
    expect(moved.body.credential.set).toBe(false);
    expect(await credentialSet()).toBe(false);

    const audit = await api.call('GET', '/v1/audit?action=delete_credential');
    expect(audit.body.items).toHaveLength(1);
    expect(audit.body.items[0].details).toMatchObject({
      service: 'confluence',
      reason: 'base_url_host_changed',
      from_host: 'first.atlassian.net',
      to_host: 'second.atlassian.net',
    });
    const saved = await api.call('GET', '/v1/audit?action=save_integration_config');
    expect(saved.body.items.map((e: { details: { credential_cleared: boolean } }) => e.details.credential_cleared)).toContain(true);
    // The secret itself never appears in the audit.
    expect(JSON.stringify(audit.body)).not.toContain('api-token-for-first-host');
  });
});
