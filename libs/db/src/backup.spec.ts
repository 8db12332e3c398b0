import Database from 'better-sqlite3-multiple-ciphers';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, TEST_KEY } from '@tftsr/test-support/temp-dir';
import { assertEncryptedCopy, copyBackupInto, createBackup, readManifest, snapshotDatabase } from './backup';
import { cipherIntegrityCheck } from './cipher-check';
import type { Db } from './database';
import { openDatabase } from './database';
import { loadMigrations, migrate } from './migrate';

const PLAIN_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

describe('database backups', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let db: Db;
  let path: string;

  beforeEach(() => {
    temp = makeTempDir();
    path = join(temp.dir, 'data', 'tftsr.db');
    mkdirSync(join(temp.dir, 'data'));
    db = openDatabase({ path, key: TEST_KEY });
    migrate(db, loadMigrations());
    db.prepare(
      `INSERT INTO issues (id, title, severity, status, created_at, updated_at) VALUES ('i1', 'Checkout 502s', 'high', 'open', 'x', 'x')`,
    ).run();
  });
  afterEach(() => {
    db.close();
    temp.remove();
  });

  /** A log-file row and its (stand-in) blob file, as an upload leaves them. */
  function storedFile(name: string, bytes = Buffer.from(`ciphertext of ${name}`)): string {
    const rel = `blobs/ab/${name}.blob`;
    mkdirSync(join(temp.dir, 'data', 'blobs', 'ab'), { recursive: true });
    writeFileSync(join(temp.dir, 'data', rel), bytes);
    db.prepare(`INSERT INTO log_files (id, issue_id, file_name, file_path, uploaded_at) VALUES (?, 'i1', 'a.log', ?, 'x')`).run(name, rel);
    return rel;
  }

  it("copies an open chunk's append file up to its committed length, and a restore copy brings it back", async () => {
    db.prepare(`INSERT INTO log_streams (id, issue_id, name, source, created_at) VALUES ('s1', 'i1', 'app', 'lines', 'x')`).run();
    db.prepare(
      `INSERT INTO log_stream_chunks (id, stream_id, seq, state, bytes, lines, opened_at, last_append_ms, file_bytes)
       VALUES ('c1', 's1', 1, 'open', 10, 1, 'x', 0, 100), ('c2', 's1', 2, 'closed', 5, 1, 'x', 0, 50)`,
    ).run();
    mkdirSync(join(temp.dir, 'data', 'chunks'));
    // 100 committed bytes, then 20 of an append whose commit had not happened when the snapshot was taken.
    const committed = Buffer.alloc(100, 7);
    writeFileSync(join(temp.dir, 'data', 'chunks', 'c1.open'), Buffer.concat([committed, Buffer.alloc(20, 9)]));
    writeFileSync(join(temp.dir, 'data', 'chunks', 'c2.open'), Buffer.alloc(50, 1)); // a closed chunk's leftover
    const dest = join(temp.dir, 'backup');
    const { manifest } = await createBackup({ db, dataDir: join(temp.dir, 'data'), key: TEST_KEY, dest });
    expect(manifest.chunk_files?.map((f) => [f.path, f.size])).toEqual([['chunks/c1.open', 100]]);
    expect(readFileSync(join(dest, 'chunks', 'c1.open')).equals(committed)).toBe(true);
    expect(existsSync(join(dest, 'chunks', 'c2.open'))).toBe(false);
    const staging = join(temp.dir, 'staging');
    await copyBackupInto(dest, readManifest(dest), staging);
    expect(readFileSync(join(staging, 'chunks', 'c1.open')).equals(committed)).toBe(true);
  });

  it('better-sqlite3 backup() cannot copy an encrypted database (which is why snapshots use VACUUM INTO)', async () => {
    const outcome = await db.backup(join(temp.dir, 'backup-api.db')).then(
      () => 'copied',
      (err: unknown) => String((err as Error)?.message ?? err),
    );
    expect(outcome).toMatch(/incompatible source and target/);
  });

  it('makes a snapshot that is encrypted with the same key, in the SQLCipher 4 format', () => {
    const copy = join(temp.dir, 'copy.db');
    snapshotDatabase(db, copy);
    expect(readFileSync(copy).subarray(0, 16).equals(PLAIN_HEADER)).toBe(false);
    expect(readFileSync(copy).includes(Buffer.from('Checkout 502s'))).toBe(false);
    // Every page carries SQLCipher 4's HMAC-SHA512 under a PBKDF2-SHA512 (256,000 rounds) key from the passphrase.
    const pages = cipherIntegrityCheck(copy, TEST_KEY);
    expect(pages.pages).toBeGreaterThan(10);
    expect(pages.badPages).toEqual([]);
    expect(() => assertEncryptedCopy(copy, TEST_KEY)).not.toThrow();
    const reopened = openDatabase({ path: copy, key: TEST_KEY, readonly: true });
    expect(reopened.prepare('SELECT title FROM issues').all()).toEqual([{ title: 'Checkout 502s' }]);
    reopened.close();
    expect(() => openDatabase({ path: copy, key: 'another passphrase', readonly: true })).toThrow(/key is wrong/);
    expect(() => new Database(copy, { readonly: true }).prepare('SELECT 1 FROM sqlite_master').get()).toThrow(/not a database/);
  });

  it('snapshots what is committed, WAL included, and nothing of a transaction still open elsewhere', () => {
    const other = openDatabase({ path, key: TEST_KEY });
    other.exec('BEGIN IMMEDIATE');
    other
      .prepare(
        `INSERT INTO issues (id, title, severity, status, created_at, updated_at) VALUES ('i2', 'uncommitted', 'low', 'open', 'x', 'x')`,
      )
      .run();
    const copy = join(temp.dir, 'copy.db');
    snapshotDatabase(db, copy);
    other.exec('COMMIT');
    other.close();
    const reopened = openDatabase({ path: copy, key: TEST_KEY, readonly: true });
    expect(reopened.prepare('SELECT id FROM issues').all()).toEqual([{ id: 'i1' }]);
    reopened.close();
  });

  it('catches a copy that is not encrypted', () => {
    const plain = join(temp.dir, 'plain.db');
    new Database(plain).exec('CREATE TABLE t (x)');
    expect(() => assertEncryptedCopy(plain, TEST_KEY)).toThrow(/NOT encrypted/);
  });

  it('copies the database and exactly the files its rows point at, with a manifest of sizes and hashes', async () => {
    const kept = storedFile('0190aaaa-0000-7000-8000-000000000001');
    mkdirSync(join(temp.dir, 'data', 'blobs', 'cd'), { recursive: true });
    writeFileSync(join(temp.dir, 'data', 'blobs', 'cd', 'unreferenced.blob'), 'written after the snapshot, or an orphan');
    const dest = join(temp.dir, 'backup');

    const { manifest, rounds } = await createBackup({ db, dataDir: join(temp.dir, 'data'), key: TEST_KEY, dest });

    expect(rounds).toBe(1);
    expect(manifest).toMatchObject({
      format: 'tftsr-backup/1',
      encrypted: true,
      schema_version: loadMigrations().at(-1)!.name,
      missing_blobs: [],
      external_files: 0,
    });
    expect(manifest.blobs).toEqual([{ path: kept, size: expect.any(Number), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    expect(readFileSync(join(dest, kept))).toEqual(readFileSync(join(temp.dir, 'data', kept)));
    expect(existsSync(join(dest, 'blobs', 'cd'))).toBe(false);
    expect(readManifest(dest)).toEqual(manifest);
    expect(existsSync(`${dest}.partial-${process.pid}`)).toBe(false);
    await expect(createBackup({ db, dataDir: join(temp.dir, 'data'), key: TEST_KEY, dest })).rejects.toThrow(/already exists/);
  });

  it('records a file that is missing from the source in every snapshot, rather than failing the backup', async () => {
    storedFile('0190aaaa-0000-7000-8000-000000000002');
    db.prepare(
      `INSERT INTO log_files (id, issue_id, file_name, file_path, uploaded_at) VALUES ('gone', 'i1', 'b.log', 'blobs/ef/gone.blob', 'x')`,
    ).run();
    const { manifest, rounds } = await createBackup({ db, dataDir: join(temp.dir, 'data'), key: TEST_KEY, dest: join(temp.dir, 'backup') });
    expect(rounds).toBe(2);
    expect(manifest.missing_blobs).toEqual(['blobs/ef/gone.blob']);
    expect(manifest.blobs).toHaveLength(1);
  });

  it('refuses to restore from a damaged backup before anything is written to the data directory', async () => {
    const rel = storedFile('0190aaaa-0000-7000-8000-000000000003');
    const dest = join(temp.dir, 'backup');
    const { manifest } = await createBackup({ db, dataDir: join(temp.dir, 'data'), key: TEST_KEY, dest });
    const damaged = readFileSync(join(dest, rel));
    damaged[3] ^= 1;
    writeFileSync(join(dest, rel), damaged);
    await expect(copyBackupInto(dest, manifest, join(temp.dir, 'staging'))).rejects.toThrow(
      `the backup is damaged: ${rel} does not match its manifest`,
    );
  });

  it('never follows a manifest path out of the backup', async () => {
    const { manifest } = await createBackup({ db, dataDir: join(temp.dir, 'data'), key: TEST_KEY, dest: join(temp.dir, 'backup') });
    manifest.blobs.push({ path: '../../etc/passwd', size: 1, sha256: 'x' });
    await expect(copyBackupInto(join(temp.dir, 'backup'), manifest, join(temp.dir, 'staging'))).rejects.toThrow(/points outside/);
  });
});
