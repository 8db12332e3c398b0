import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { AuditLogRepository, CredentialRepository, deriveKey, newId, toDbTimestamp } from '@tftsr/db';
import { encryptCredential } from '@tftsr/integrations';
import { IntegrationsService } from '@tftsr/api/integrations/integrations.service';
import type { TestApi } from '../support/api-harness';
import { startTestApi } from '../support/api-harness';
import { makeTempDir, TEST_KEY } from '../support/temp-dir';

/**
 * Issue 13, item 7: credentials.token_hash (also copied into audit details and backups) is an HMAC under its own
 * derived key, never a bare SHA-256 of the secret; rows written before are upgraded once at start, audited.
 */
describe('credential token_hash', () => {
  const parent = makeTempDir('tftsr-sec-token-');
  const dataDir = join(parent.dir, 'data');
  let api: TestApi | undefined;
  const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

  afterAll(async () => {
    await api?.close();
    parent.remove();
  });

  it('stores and audits a keyed HMAC of a new secret, not its SHA-256', async () => {
    api = await startTestApi('sec-token', { TFTSR_DATA_DIR: dataDir });
    const secret = 'password1';
    expect((await api.call('PUT', '/v1/integrations/servicenow/credential', { body: { secret } })).status).toBe(200);
    const row = new CredentialRepository(api.db).get('servicenow')!;
    expect(row.token_hash).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(row.token_hash).not.toContain(sha256(secret));
    const audit = await api.call('GET', '/v1/audit?action=save_credential');
    expect(audit.body.items[0].details.token_hash).toBe(row.token_hash);
    expect(JSON.stringify(audit.body)).not.toContain(sha256(secret));
  });

  it('upgrades rows with a bare SHA-256 at start, once, with an audit entry', async () => {
    const legacySecret = 'summer2024';
    const credentials = new CredentialRepository(api!.db);
    credentials.upsert({
      id: newId(),
      service: 'azuredevops',
      token_hash: sha256(legacySecret),
      encrypted_token: encryptCredential(legacySecret, 'azuredevops', deriveKey(TEST_KEY, 'credential-encryption')),
      created_at: toDbTimestamp(),
      expires_at: null,
    });
    await api!.close();
    api = await startTestApi('sec-token-2', { TFTSR_DATA_DIR: dataDir });

    const rows = new CredentialRepository(api.db).listAll();
    expect(rows.map((r) => r.token_hash).every((h) => /^hmac-sha256:[0-9a-f]{64}$/.test(h))).toBe(true);
    expect(JSON.stringify(rows)).not.toContain(sha256(legacySecret));
    const audit = new AuditLogRepository(api.db, deriveKey(TEST_KEY, 'audit-hmac'));
    const upgrades = () =>
      api!.db.prepare(`SELECT details FROM audit_log WHERE action = 'upgrade_credential_token_hashes'`).all() as { details: string }[];
    expect(upgrades()).toHaveLength(1);
    expect(JSON.parse(upgrades()[0].details)).toMatchObject({ upgraded: ['azuredevops'], unreadable: [] });
    // Idempotent: a second run (the next start) finds nothing to do.
    await expect(api.app.get(IntegrationsService).upgradeTokenHashes()).resolves.toBe(0);
    expect(upgrades()).toHaveLength(1);
    expect(audit.verify().intact).toBe(true);
  });
});
