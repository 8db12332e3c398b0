import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deriveKey, openDatabase } from '@tftsr/db';
import { makeTempDir, TEST_KEY } from '@tftsr/test-support/temp-dir';
import { runCli } from '../main';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

describe('tftsr scanner export-key', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let env: Record<string, string>;

  beforeAll(() => {
    temp = makeTempDir();
    env = { TFTSR_DATA_DIR: temp.dir, TFTSR_DB_KEY: TEST_KEY };
    openDatabase({ path: join(temp.dir, 'tftsr.db'), key: TEST_KEY }).close();
  });
  afterAll(() => temp.remove());

  it('writes the blob key (hex), for the owner only, and never prints it', async () => {
    const out = join(temp.dir, 'blob.key');
    const { io, out: printed, err } = capture();
    expect(await runCli(['scanner', 'export-key', '--out', out], env, io)).toBe(0);
    const hex = deriveKey(TEST_KEY, 'blob-encryption').toString('hex');
    expect(readFileSync(out, 'utf8')).toBe(`${hex}\n`);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect([...printed, ...err].join('\n')).not.toContain(hex);
  });

  it('refuses to overwrite a file unless --force, and then leaves it 0600', async () => {
    const out = join(temp.dir, 'existing.key');
    writeFileSync(out, 'old\n', { mode: 0o644 });
    const refused = capture();
    expect(await runCli(['scanner', 'export-key', '--out', out], env, refused.io)).toBe(1);
    expect(refused.err.join('\n')).toMatch(/exists; .*--force/);
    expect(readFileSync(out, 'utf8')).toBe('old\n');
    expect(await runCli(['scanner', 'export-key', '--out', out, '--force'], env, capture().io)).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    expect(statSync(out).mode & 0o777).toBe(0o600);
  });

  it('refuses a wrong database key instead of exporting a key that opens nothing', async () => {
    const out = join(temp.dir, 'wrong.key');
    const { io } = capture();
    expect(await runCli(['scanner', 'export-key', '--out', out], { ...env, TFTSR_DB_KEY: 'not the key at all' }, io)).toBe(1);
    expect(() => statSync(out)).toThrow();
  });
});
