import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AuditLogRepository,
  cipherIntegrityCheck,
  deriveKey,
  isPlainSqliteFile,
  loadMigrations,
  migrate,
  openDatabase,
  transaction,
} from '@tftsr/db';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { decryptCredential, encryptCredential } from '@tftsr/integrations';
import { CHUNK_FILE_KEY_LABEL, ChunkFiles, FsBlobStore } from '@tftsr/storage';
import { makeTempDir, TEST_KEY } from '@tftsr/test-support/temp-dir';
import { runCli } from '../main';

const NEW_KEY = 'a brand new passphrase';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

describe('tftsr db', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let path: string;

  beforeEach(() => {
    temp = makeTempDir();
    path = join(temp.dir, 'tftsr.db');
  });
  afterEach(() => temp.remove());

  /** A database in WAL mode with data in it and a live audit chain, as the apps leave it. */
  function seed(key: string | null): void {
    const db = openDatabase({ path, key });
    migrate(db, loadMigrations());
    const audit = new AuditLogRepository(db, deriveKey(key, 'audit-hmac'));
    transaction(db, () => {
      db.prepare(
        `INSERT INTO issues (id, title, severity, status, created_at, updated_at) VALUES ('i1', 'Checkout 502s', 'high', 'open', 'x', 'x')`,
      ).run();
      audit.append({ action: 'create_issue', entity_type: 'issue', entity_id: 'i1' });
    });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  }

  function readBack(key: string) {
    const db = openDatabase({ path, key });
    const rows = db.prepare('SELECT id, title FROM issues').all();
    const chain = new AuditLogRepository(db, deriveKey(key, 'audit-hmac')).verify();
    const actions = (db.prepare('SELECT action FROM audit_log ORDER BY rowid').all() as { action: string }[]).map((r) => r.action);
    const mode = db.pragma('journal_mode', { simple: true });
    db.close();
    return { rows, chain, actions, mode };
  }

  it('migrate applies pending migrations and says how long it took; status lists them', async () => {
    const c = capture();
    expect(await runCli(['db', 'migrate'], { TFTSR_DATA_DIR: temp.dir, TFTSR_DB_KEY: TEST_KEY }, c.io)).toBe(0);
    expect(c.out.join('\n')).toContain('applied 001_create_issues');
    expect(c.err.join('\n')).toMatch(/migrations applied \(\d+(\.\d+)? m?s\)/);
    const s = capture();
    expect(await runCli(['db', 'status'], { TFTSR_DATA_DIR: temp.dir, TFTSR_DB_KEY: TEST_KEY }, s.io)).toBe(0);
    expect(s.err.join('\n')).toContain(`${loadMigrations().length} applied, 0 pending`);
  });

  it('check passes a healthy encrypted database and fails one with a flipped byte', async () => {
    seed(TEST_KEY);
    const ok = capture();
    expect(await runCli(['db', 'check'], { TFTSR_DATA_DIR: temp.dir, TFTSR_DB_KEY: TEST_KEY }, ok.io)).toBe(0);
    expect(ok.out).toEqual(['integrity_check: ok', expect.stringMatching(/^cipher_integrity_check: ok \(\d+ pages\)$/)]);

    const bytes = readFileSync(path);
    bytes[4096 * 2 + 100] ^= 0xff;
    writeFileSync(path, bytes);
    const bad = capture();
    expect(await runCli(['db', 'check'], { TFTSR_DATA_DIR: temp.dir, TFTSR_DB_KEY: TEST_KEY }, bad.io)).toBe(1);
    expect(bad.out.join('\n') + bad.err.join('\n')).toMatch(/page|corrupt|malformed/i);
  });

  it('encrypt turns a plain WAL database into SQLCipher 4, keeps a backup, and the data and audit chain read back', async () => {
    seed(null);
    const c = capture();
    expect(await runCli(['db', 'encrypt'], { TFTSR_DATA_DIR: temp.dir, TFTSR_DB_KEY: TEST_KEY }, c.io)).toBe(0);
    expect(isPlainSqliteFile(path)).toBe(false);
    expect(cipherIntegrityCheck(path, TEST_KEY).badPages).toEqual([]);
    const back = readBack(TEST_KEY);
    expect(back.rows).toEqual([{ id: 'i1', title: 'Checkout 502s' }]);
    expect(back.chain).toMatchObject({ intact: true, entries: 2 });
    expect(back.actions).toEqual(['create_issue', 'db_encrypt']);
    expect(back.mode).toBe('wal');
    const backup = c.out.find((l) => l.startsWith('backup of the plain database: '))!.split(': ')[1];
    expect(isPlainSqliteFile(backup)).toBe(true);
    expect(c.err.join('\n')).toMatch(/encrypted \(\d/);
  });

  it('encrypt refuses a database that is already encrypted', async () => {
    seed(TEST_KEY);
    const c = capture();
    expect(await runCli(['db', 'encrypt'], { TFTSR_DATA_DIR: temp.dir, TFTSR_DB_KEY: TEST_KEY }, c.io)).toBe(1);
  });

  it('rekey moves a WAL database to a new key, re-signs the audit chain, and the old key no longer opens it', async () => {
    seed(TEST_KEY);
    const blob = await new FsBlobStore(temp.dir, deriveKey(TEST_KEY, 'blob-encryption')).write(
      Readable.from([Buffer.from('a stored log line')]),
    );
    const keyFile = join(temp.dir, 'new.key');
    writeFileSync(keyFile, `${NEW_KEY}\n`);
    const c = capture();
    expect(await runCli(['db', 'rekey', '--new-key-file', keyFile], { TFTSR_DATA_DIR: temp.dir, TFTSR_DB_KEY: TEST_KEY }, c.io)).toBe(0);
    const back = readBack(NEW_KEY);
    expect(back.rows).toEqual([{ id: 'i1', title: 'Checkout 502s' }]);
    expect(back.chain).toMatchObject({ intact: true, entries: 2 });
    expect(back.actions).toEqual(['create_issue', 'db_rekey']);
    expect(back.mode).toBe('wal');
    expect(() => openDatabase({ path, key: TEST_KEY })).toThrow(/database key is wrong/);
    const backup = c.out.find((l) => l.startsWith('backup, still under the OLD key: '))!.split(': ')[1];
    expect(existsSync(backup)).toBe(true);
    expect(cipherIntegrityCheck(backup, TEST_KEY).badPages).toEqual([]);
    const rewrapped = new FsBlobStore(temp.dir, deriveKey(NEW_KEY, 'blob-encryption')).openRead(blob.path);
    expect((await buffer(rewrapped)).toString()).toBe('a stored log line');
    expect(c.out.join('\n')).toContain('1 blob keys rewrapped');
  });

  function storeCredential(key: string, tamper = false): void {
    const db = openDatabase({ path, key });
    let token = encryptCredential('canary-pat-for-rekey', 'azuredevops', deriveKey(key, 'credential-encryption'));
    if (tamper) {
      const raw = Buffer.from(token, 'base64');
      raw[raw.length - 1] ^= 1;
      token = raw.toString('base64');
    }
    db.prepare(
      `INSERT INTO credentials (id, service, token_hash, encrypted_token, created_at) VALUES ('c1', 'azuredevops', 'h', ?, 'x')`,
    ).run(token);
    db.close();
  }

  it('rekey re-encrypts the integration credentials under the new key', async () => {
    seed(TEST_KEY);
    storeCredential(TEST_KEY);
    expect(
      await runCli(['db', 'rekey'], { TFTSR_DATA_DIR: temp.dir, TFTSR_DB_KEY: TEST_KEY, TFTSR_DB_NEW_KEY: NEW_KEY }, capture().io),
    ).toBe(0);
    const db = openDatabase({ path, key: NEW_KEY });
    const { encrypted_token } = db.prepare(`SELECT encrypted_token FROM credentials WHERE id = 'c1'`).get() as { encrypted_token: string };
    db.close();
    expect(decryptCredential(encrypted_token, 'azuredevops', deriveKey(NEW_KEY, 'credential-encryption'))).toBe('canary-pat-for-rekey');
  });

  it("rekey rewraps the key of an open log chunk's append file, whose lines then read under the new key only", async () => {
    seed(TEST_KEY);
    const before = new ChunkFiles(temp.dir, deriveKey(TEST_KEY, CHUNK_FILE_KEY_LABEL));
    const file = await before.openForAppend('chunk-1', 0);
    const start = file.size;
    await before.writeAndSync(file, start, [before.seal(file, Buffer.from('shipped line\n'))]);
    await file.handle.close();
    expect(
      await runCli(['db', 'rekey'], { TFTSR_DATA_DIR: temp.dir, TFTSR_DB_KEY: TEST_KEY, TFTSR_DB_NEW_KEY: NEW_KEY }, capture().io),
    ).toBe(0);
    const after = new ChunkFiles(temp.dir, deriveKey(NEW_KEY, CHUNK_FILE_KEY_LABEL));
    expect((await after.read('chunk-1', file.size)).toString()).toBe('shipped line\n');
    await expect(before.read('chunk-1', file.size)).rejects.toThrow(/does not unwrap/);
  });

  it('rekey stops, changing nothing, when a credential does not decrypt', async () => {
    seed(TEST_KEY);
    storeCredential(TEST_KEY, true);
    const c = capture();
    expect(await runCli(['db', 'rekey'], { TFTSR_DATA_DIR: temp.dir, TFTSR_DB_KEY: TEST_KEY, TFTSR_DB_NEW_KEY: NEW_KEY }, c.io)).toBe(1);
    expect(c.err.join('\n')).toMatch(/azuredevops credential does not decrypt under either key; nothing was changed/);
    expect(c.err.join('\n')).not.toContain('canary-pat-for-rekey');
    expect(readBack(TEST_KEY).chain).toMatchObject({ intact: true, entries: 1 });
  });

  it('rekey refuses while another connection holds the database open, and changes nothing', async () => {
    seed(TEST_KEY);
    const holder = openDatabase({ path, key: TEST_KEY });
    holder.prepare('SELECT count(*) FROM issues').get();
    const c = capture();
    const code = await runCli(['db', 'rekey'], { TFTSR_DATA_DIR: temp.dir, TFTSR_DB_KEY: TEST_KEY, TFTSR_DB_NEW_KEY: NEW_KEY }, c.io);
    holder.close();
    expect(code).toBe(1);
    expect(c.err.join('\n')).toMatch(/stop the API and the worker first/);
    expect(readBack(TEST_KEY).chain).toMatchObject({ intact: true, entries: 1 });
  });

  it('rekey refuses a key given nowhere, and has nothing to do with the same key again', async () => {
    seed(TEST_KEY);
    const none = capture();
    expect(await runCli(['db', 'rekey'], { TFTSR_DATA_DIR: temp.dir, TFTSR_DB_KEY: TEST_KEY }, none.io)).toBe(1);
    expect(none.err.join('\n')).toMatch(/--new-key-file/);
    const same = capture();
    expect(await runCli(['db', 'rekey'], { TFTSR_DATA_DIR: temp.dir, TFTSR_DB_KEY: TEST_KEY, TFTSR_DB_NEW_KEY: TEST_KEY }, same.io)).toBe(
      0,
    );
    expect(same.out.join('\n')).toMatch(/already under this key; nothing to do/);
  });

  it('a wrong key fails with the one clear line and exit code 1', async () => {
    seed(TEST_KEY);
    const c = capture();
    expect(await runCli(['db', 'status'], { TFTSR_DATA_DIR: temp.dir, TFTSR_DB_KEY: 'wrong key!' }, c.io)).toBe(1);
    expect(c.err).toEqual(['tftsr: database key is wrong, or the file is not a TFTSR database']);
  });
});
