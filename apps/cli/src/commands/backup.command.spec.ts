import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Db } from '@tftsr/db';
import { AuditLogRepository, deriveKey, loadMigrations, migrate, openDatabase, transaction } from '@tftsr/db';
import { CHUNK_FILE_KEY_LABEL, ChunkFiles, FsBlobStore } from '@tftsr/storage';
import { makeTempDir, TEST_KEY } from '@tftsr/test-support/temp-dir';
import { runCli } from '../main';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err, text: () => [...out, ...err].join('\n') };
}

describe('tftsr db backup | restore | verify', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let source: string;
  let target: string;
  let backup: string;
  const env = (dir: string, key: string = TEST_KEY) => ({ TFTSR_DATA_DIR: dir, TFTSR_DB_KEY: key });

  beforeEach(async () => {
    temp = makeTempDir();
    source = join(temp.dir, 'source');
    target = join(temp.dir, 'target');
    backup = join(temp.dir, 'backup');
    await seed(source);
  });
  afterEach(() => temp.remove());

  /** An issue with two uploaded log files, hashed, and their audit entries: what the apps leave behind. */
  async function seed(dir: string): Promise<void> {
    mkdirSync(dir, { recursive: true });
    const db = openDatabase({ path: join(dir, 'tftsr.db'), key: TEST_KEY });
    migrate(db, loadMigrations());
    const audit = new AuditLogRepository(db, deriveKey(TEST_KEY, 'audit-hmac'));
    const blobs = new FsBlobStore(dir, deriveKey(TEST_KEY, 'blob-encryption'));
    transaction(db, () => {
      db.prepare(
        `INSERT INTO issues (id, title, severity, status, created_at, updated_at) VALUES ('i1', 'Checkout 502s', 'high', 'open', 'x', 'x')`,
      ).run();
      audit.append({ action: 'create_issue', entity_type: 'issue', entity_id: 'i1' });
    });
    for (const name of ['a', 'b']) {
      const content = Buffer.from(`log ${name}: payment failed for jane.doe@example.org\n`.repeat(1000));
      const stored = await blobs.write(Readable.from([content]));
      const sha256 = createHash('sha256').update(content).digest('hex');
      transaction(db, () => {
        db.prepare(
          `INSERT INTO log_files (id, issue_id, file_name, file_path, file_size, content_hash, uploaded_at) VALUES (?, 'i1', ?, ?, ?, ?, 'x')`,
        ).run(`f-${name}`, `${name}.log`, stored.path, stored.size, sha256);
        audit.append({ action: 'upload_log_file', entity_type: 'log_file', entity_id: `f-${name}`, details: { content_hash: sha256 } });
      });
    }
    db.close();
  }

  const run = async (args: string[], environment: Record<string, string>) => {
    const c = capture();
    const code = await runCli(args, environment, c.io);
    return { code, text: c.text() };
  };

  it('after a backup and a restore killed midway, the same commands run again leave nothing of the dead runs', async () => {
    // What a SIGKILLed run leaves: its staging, named by a pid that no longer runs.
    const deadPid = 2 ** 22 + 1;
    mkdirSync(join(`${backup}.partial-${deadPid}`, 'blobs'), { recursive: true });
    mkdirSync(join(target, `.restore-${deadPid}`), { recursive: true });
    expect(await run(['db', 'backup', backup], env(source))).toMatchObject({ code: 0 });
    expect(readdirSync(temp.dir).filter((n) => n.includes('.partial-'))).toEqual([]);
    expect(await run(['db', 'restore', backup, '--force'], env(target))).toMatchObject({ code: 0 });
    expect(readdirSync(target).filter((n) => n.startsWith('.restore-'))).toEqual([]);
  });

  it('backs up and restores into an empty data directory, then verifies integrity, pages, audit chain and every file', async () => {
    const made = await run(['db', 'backup', backup], env(source));
    expect(made).toMatchObject({ code: 0 });
    expect(made.text).toMatch(/encrypted \(SQLCipher 4, same key\)/);
    expect(made.text).toMatch(/stored files: 2 /);

    const restored = await run(['db', 'restore', backup], env(target));
    expect(restored.text).toContain('integrity_check: ok');
    expect(restored.text).toMatch(/cipher_integrity_check: ok \(\d+ pages\)/);
    expect(restored.text).toContain('audit chain: intact (4 entries)'); // the three made before the backup, and the restore's own (db_restore)
    expect(restored.text).toContain('stored files: 2 of 2 present, intact and matching their rows');
    expect(restored.code).toBe(0);
    expect(readdirSync(target).filter((n) => n.startsWith('.restore-'))).toEqual([]);

    const verified = await run(['db', 'verify'], env(target));
    expect(verified).toMatchObject({ code: 0 });
    const db = openDatabase({ path: join(target, 'tftsr.db'), key: TEST_KEY });
    expect(db.prepare('SELECT id FROM log_files ORDER BY id').all()).toEqual([{ id: 'f-a' }, { id: 'f-b' }]);
    db.close();
  });

  it('refuses a data directory that already holds a database unless --force, and then moves the old one aside', async () => {
    await run(['db', 'backup', backup], env(source));
    const refused = await run(['db', 'restore', backup], env(source));
    expect(refused.code).toBe(1);
    expect(refused.text).toMatch(/already holds a database or stored files; pass --force/);

    const forced = await run(['db', 'restore', backup, '--force'], env(source));
    expect(forced.code).toBe(0);
    const aside = /moved to (\S+);/.exec(forced.text)![1];
    expect(existsSync(join(aside, 'tftsr.db'))).toBe(true);
    expect(readdirSync(join(aside, 'blobs')).length).toBeGreaterThan(1);
  });

  it('refuses to restore while another process has the database open, even with --force', async () => {
    await run(['db', 'backup', backup], env(source));
    const running: Db = openDatabase({ path: join(source, 'tftsr.db'), key: TEST_KEY });
    try {
      const refused = await run(['db', 'restore', backup, '--force'], env(source));
      expect(refused.code).toBe(1);
      expect(refused.text).toMatch(/refusing to restore: .*stop the API and the worker/);
      expect(running.prepare('SELECT count(*) AS n FROM log_files').get()).toEqual({ n: 2 });
    } finally {
      running.close();
    }
  });

  it('refuses a backup under another key, and one whose file no longer matches its row, changing nothing', async () => {
    await run(['db', 'backup', backup], env(source));
    const wrongKey = await run(['db', 'restore', backup], env(target, 'another passphrase'));
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.text).toMatch(/made under another key/);

    // A row that claims other content than its file holds: the manifest matches (it was made from this state).
    const db = openDatabase({ path: join(source, 'tftsr.db'), key: TEST_KEY });
    db.prepare(`UPDATE log_files SET content_hash = ? WHERE id = 'f-a'`).run('0'.repeat(64));
    db.close();
    const second = join(temp.dir, 'second');
    await run(['db', 'backup', second], env(source));
    const mismatch = await run(['db', 'restore', second], env(target));
    expect(mismatch.code).toBe(1);
    expect(mismatch.text).toMatch(/log_file f-a: blobs\/\S+ does not hash to the recorded SHA-256/);
    expect(mismatch.text).toMatch(/does not verify .*nothing was changed/);
    expect(existsSync(join(target, 'tftsr.db'))).toBe(false);
  });

  it('refuses a backup whose audit chain was tampered with', async () => {
    const db = openDatabase({ path: join(source, 'tftsr.db'), key: TEST_KEY });
    db.prepare(`UPDATE audit_log SET entity_id = 'someone-else' WHERE action = 'create_issue'`).run();
    db.close();
    await run(['db', 'backup', backup], env(source));
    const refused = await run(['db', 'restore', backup], env(target));
    expect(refused.code).toBe(1);
    expect(refused.text).toMatch(/audit chain: broken at entry 1: entry_hash does not match/);
  });

  it('says when the manifest is missing or a file in the backup was damaged', async () => {
    expect((await run(['db', 'restore', temp.dir], env(target))).text).toMatch(/is not a TFTSR backup/);
    await run(['db', 'backup', backup], env(source));
    const manifest = JSON.parse(readFileSync(join(backup, 'manifest.json'), 'utf8')) as { blobs: { path: string }[] };
    const blob = join(backup, manifest.blobs[0].path);
    const bytes = readFileSync(blob);
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(blob, bytes);
    const refused = await run(['db', 'restore', backup], env(target));
    expect(refused.text).toMatch(/the backup is damaged/);
    expect(existsSync(join(target, 'tftsr.db'))).toBe(false);
  });

  it("verifies each open chunk's append file up to its committed length, and backs it up and restores it", async () => {
    // A shipped request's lines, as the API appends them: a sealed record, committed length in the chunk's row.
    const files = new ChunkFiles(source, deriveKey(TEST_KEY, CHUNK_FILE_KEY_LABEL));
    const file = await files.openForAppend('c1', 0);
    const start = file.size;
    const record = files.seal(file, Buffer.from('10:00:01 login ok for jane.doe@example.org\n'));
    await files.writeAndSync(file, start, [record]);
    await file.handle.close();
    const db = openDatabase({ path: join(source, 'tftsr.db'), key: TEST_KEY });
    db.prepare(`INSERT INTO log_streams (id, issue_id, name, source, created_at) VALUES ('s1', 'i1', 'app', 'lines', 'x')`).run();
    db.prepare(
      `INSERT INTO log_stream_chunks (id, stream_id, seq, state, bytes, lines, opened_at, last_append_ms, file_bytes)
       VALUES ('c1', 's1', 1, 'open', 44, 1, 'x', 0, ?)`,
    ).run(file.size);
    db.close();

    const verified = await run(['db', 'verify'], env(source));
    expect(verified.text).toContain('open log chunks: 1 of 1 append file(s) present and authentic up to their committed length');
    expect(verified.code).toBe(0);
    await run(['db', 'backup', backup], env(source));
    const restored = await run(['db', 'restore', backup], env(target));
    expect(restored.text).toContain('open log chunks: 1 of 1 append file(s)');
    expect(restored.code).toBe(0);

    // One byte of the record flipped: the verify fails and names the chunk.
    const path = join(source, 'chunks', 'c1.open');
    const bytes = readFileSync(path);
    bytes[start + 10] ^= 1;
    writeFileSync(path, bytes);
    const damaged = await run(['db', 'verify'], env(source));
    expect(damaged.code).toBe(1);
    expect(damaged.text).toMatch(/open log chunks: 0 of 1 .*chunk c1: the record at \d+ fails authentication/);
  });
});
