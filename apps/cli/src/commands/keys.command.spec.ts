import { join } from 'node:path';
import { apiKeyMatches, ApiKeyRepository, AuditLogRepository, deriveKey, openDatabase } from '@tftsr/db';
import { makeTempDir, TEST_KEY } from '@tftsr/test-support/temp-dir';
import { runCli } from '../main';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

describe('tftsr keys', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let env: Record<string, string>;

  beforeAll(() => {
    temp = makeTempDir();
    env = { TFTSR_DATA_DIR: temp.dir, TFTSR_DB_KEY: TEST_KEY };
  });
  afterAll(() => temp.remove());

  function inspect<T>(fn: (keys: ApiKeyRepository, audit: AuditLogRepository) => T): T {
    const db = openDatabase({ path: join(temp.dir, 'tftsr.db'), key: TEST_KEY });
    try {
      return fn(new ApiKeyRepository(db), new AuditLogRepository(db, deriveKey(TEST_KEY, 'audit-hmac')));
    } finally {
      db.close();
    }
  }

  it('creates a key, prints it once, and keeps only its hash, with an audit entry by "local"', async () => {
    const { io, out } = capture();
    expect(await runCli(['keys', 'create', '--name', 'ci', '--scopes', 'read,write'], env, io)).toBe(0);
    expect(out).toHaveLength(1);
    const key = out[0];
    expect(key).toMatch(/^tftsr_[A-Za-z0-9_-]{43}$/);
    inspect((keys, audit) => {
      const row = keys.findByName('ci');
      expect(row).toMatchObject({ scopes: '["read","write"]', revoked_at: null });
      expect(JSON.stringify(row)).not.toContain(key.slice(14));
      expect(apiKeyMatches(key, row!.key_hash)).toBe(true);
      expect(audit.list({ action: 'create_api_key', limit: 5 })[0]).toMatchObject({ user_id: 'local', entity_id: row!.id });
      expect(audit.verify().intact).toBe(true);
    });
  });

  it('lists names, scopes and dates but never a key', async () => {
    const { io, out } = capture();
    expect(await runCli(['keys', 'list'], env, io)).toBe(0);
    expect(out.join('\n')).toMatch(/^ci\tread,write\tcreated .*\tlast used never\tactive$/m);
    expect(out.join('\n')).not.toMatch(/tftsr_/);
  });

  it('revokes a key by name, once', async () => {
    const first = capture();
    expect(await runCli(['keys', 'revoke', 'ci'], env, first.io)).toBe(0);
    inspect((keys) => expect(keys.findByName('ci')?.revoked_at).toEqual(expect.any(String)));
    const again = capture();
    expect(await runCli(['keys', 'revoke', 'ci'], env, again.io)).toBe(1);
    expect(again.err.join()).toMatch(/already revoked/);
  });

  it.each([
    [['create', '--name', 'ci', '--scopes', 'read'], /already exists/],
    [['create', '--name', 'bad name', '--scopes', 'read'], /--name/],
    [['create', '--name', 'x', '--scopes', 'read,root'], /unknown: root/],
    [['revoke', 'nobody'], /no key is named nobody/],
  ])('refuses %j with a clear message', async (args, message) => {
    const { io, err } = capture();
    expect(await runCli(['keys', ...args], env, io)).toBe(1);
    expect(err.join('\n')).toMatch(message);
  });

  it.each([
    [['create', '--name', 'x'], /required option '--scopes <list>' not specified/],
    [['create', '--scopes', 'read'], /required option '--name <name>' not specified/],
    [['revoke'], /missing required argument 'name'/],
    [['create', '--name', 'x', '--scopes', 'read', '--bogus'], /unknown option '--bogus'/],
  ])('refuses %j as bad usage with exit code 2', async (args, message) => {
    const { io, err } = capture();
    expect(await runCli(['keys', ...args], env, io)).toBe(2);
    expect(err.join('\n')).toMatch(message);
  });
});
