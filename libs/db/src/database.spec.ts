import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, TEST_KEY } from '@tftsr/test-support/temp-dir';
import { cipherIntegrityCheck } from './cipher-check';
import { databaseVersion, isPlainSqliteFile, openDatabase, readSnapshot, transaction } from './database';
import { DatabaseError, WRONG_KEY_MESSAGE } from './errors';

describe('openDatabase', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let path: string;

  beforeEach(() => {
    temp = makeTempDir();
    path = join(temp.dir, 'tftsr.db');
  });
  afterEach(() => temp.remove());

  function createEncrypted(): void {
    const db = openDatabase({ path, key: TEST_KEY });
    db.exec(`CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('planted-canary-value');`);
    db.close();
  }

  it('writes an encrypted file that does not start with the SQLite header and hides its content', () => {
    createEncrypted();
    const bytes = readFileSync(path);
    expect(bytes.subarray(0, 16).toString('latin1')).not.toBe('SQLite format 3\0');
    expect(isPlainSqliteFile(path)).toBe(false);
    expect(bytes.includes(Buffer.from('planted-canary-value'))).toBe(false);
  });

  it('uses the SQLCipher 4 page format: every page authenticates with HMAC-SHA512 under the passphrase', () => {
    createEncrypted();
    const result = cipherIntegrityCheck(path, TEST_KEY);
    expect(result.pages).toBeGreaterThan(1);
    expect(result.badPages).toEqual([]);
    expect(cipherIntegrityCheck(path, 'another passphrase').badPages.length).toBe(result.pages);
  });

  it('sets WAL, foreign keys, a busy timeout of at least 5 s and FULL synchronous on every connection', () => {
    const db = openDatabase({ path, key: TEST_KEY });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBeGreaterThanOrEqual(5000);
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    db.close();
  });

  it('refuses a wrong key with one clear message, leaves the file byte-identical and leaves no -wal behind', () => {
    createEncrypted();
    const before = readFileSync(path);
    const filesBefore = readdirSync(temp.dir).sort();
    let error: unknown;
    try {
      openDatabase({ path, key: 'the wrong passphrase' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DatabaseError);
    expect((error as DatabaseError).code).toBe('DATABASE_KEY_INVALID');
    expect((error as Error).message).toBe(WRONG_KEY_MESSAGE);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(temp.dir).sort()).toEqual(filesBefore);
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it('refuses a key on a plain file, suggesting tftsr db encrypt, and leaves it unchanged', () => {
    const plain = openDatabase({ path, key: null });
    plain.exec('CREATE TABLE t (x)');
    plain.close();
    const before = readFileSync(path);
    expect(() => openDatabase({ path, key: TEST_KEY })).toThrow(
      expect.objectContaining({
        code: 'DATABASE_NOT_ENCRYPTED',
        message: expect.stringMatching(/is not encrypted, but TFTSR_DB_KEY is set: encrypt it with `tftsr db encrypt`/),
      }),
    );
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('says a key is missing when an encrypted file is opened without one', () => {
    createEncrypted();
    expect(() => openDatabase({ path, key: null })).toThrow(expect.objectContaining({ code: 'DATABASE_KEY_MISSING' }));
  });

  it('opens a plain development database with a loud warning', () => {
    const warnings: string[] = [];
    const db = openDatabase({ path, key: null, warn: (m) => warnings.push(m) });
    db.close();
    expect(isPlainSqliteFile(path)).toBe(true);
    expect(warnings.join(' ')).toMatch(/NOT ENCRYPTED/);
  });

  it('rolls a transaction back whole when its callback throws', () => {
    const db = openDatabase({ path, key: TEST_KEY });
    db.exec('CREATE TABLE t (x TEXT)');
    expect(() =>
      transaction(db, () => {
        db.prepare('INSERT INTO t VALUES (?)').run('a');
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 0 });
    db.close();
  });

  it('reads in one snapshot, call after call and nested, and ends the snapshot when the read throws', () => {
    const db = openDatabase({ path, key: TEST_KEY });
    db.exec(`CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('a')`);
    const other = openDatabase({ path, key: TEST_KEY });
    const count = () => (db.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
    for (const expected of [1, 2]) {
      const seen = readSnapshot(db, () => {
        const first = count();
        other.prepare('INSERT INTO t VALUES (?)').run('b');
        return [first, readSnapshot(db, count)];
      });
      expect(seen).toEqual([expected, expected]);
      expect(db.inTransaction).toBe(false);
    }
    expect(() =>
      readSnapshot(db, () => {
        count();
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(db.inTransaction).toBe(false);
    expect(count()).toBe(3);
    other.close();
    db.close();
  });

  it("moves its version with every commit, its own or another connection's, and only then", () => {
    const db = openDatabase({ path, key: TEST_KEY });
    db.exec(`CREATE TABLE t (x TEXT)`);
    const other = openDatabase({ path, key: TEST_KEY });
    const seen = [databaseVersion(db)];
    expect(databaseVersion(db)).toBe(seen[0]);
    readSnapshot(db, () => db.prepare('SELECT count(*) FROM t').get());
    expect(databaseVersion(db)).toBe(seen[0]);
    transaction(db, () => db.prepare('INSERT INTO t VALUES (?)').run('own'));
    seen.push(databaseVersion(db));
    other.prepare('INSERT INTO t VALUES (?)').run('another');
    seen.push(databaseVersion(db));
    other.prepare('UPDATE t SET x = ? WHERE x = ?').run('changed', 'own');
    seen.push(databaseVersion(db));
    db.prepare('DELETE FROM t WHERE x = ?').run('another');
    seen.push(databaseVersion(db));
    expect(new Set(seen).size).toBe(seen.length);
    expect(databaseVersion(db)).toBe(seen[seen.length - 1]);
    other.close();
    db.close();
  });
});
