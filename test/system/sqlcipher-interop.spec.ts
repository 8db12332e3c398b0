import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { loadMigrations, migrate, openDatabase } from '@tftsr/db';
import { makeTempDir, TEST_KEY } from '../support/temp-dir';

/**
 * Interoperability with the SQLCipher 4 command-line shell (Debian's `sqlcipher` from bookworm-backports,
 * installed by .ci/run). Passphrases with a quote prove the key is passed as a passphrase, not as SQL.
 */
function sqlcipher(path: string, script: string): string {
  try {
    return execFileSync('sqlcipher', [path], { input: script, encoding: 'utf8' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('the sqlcipher 4 shell is not installed: run .ci/run, or apt-get install -t bookworm-backports sqlcipher', {
        cause: err,
      });
    }
    throw err;
  }
}

const quoted = (key: string) => `'${key.replace(/'/g, "''")}'`;

describe('SQLCipher 4 interoperability', () => {
  let temp: ReturnType<typeof makeTempDir>;

  beforeEach(() => (temp = makeTempDir()));
  afterEach(() => temp.remove());

  it('is SQLCipher 4 that the tests run against', () => {
    expect(execFileSync('sqlcipher', ['-version'], { encoding: 'utf8' })).toMatch(/SQLCipher 4\./);
  });

  it('opens a database this service created, in the shell, with the same passphrase', () => {
    const path = join(temp.dir, 'tftsr.db');
    const key = `${TEST_KEY} it's`;
    const db = openDatabase({ path, key });
    migrate(db, loadMigrations());
    db.prepare(`INSERT INTO settings (key, value, updated_at) VALUES ('probe', 'written by the service', '2026-01-01 00:00:00')`).run();
    db.close();
    const out = sqlcipher(
      path,
      `PRAGMA key = ${quoted(key)};\nSELECT value FROM settings WHERE key = 'probe';\nPRAGMA cipher_integrity_check;\nPRAGMA integrity_check;\n`,
    );
    expect(out.trim().split('\n')).toEqual(['ok', 'written by the service', 'ok']);
  });

  it('refuses the shell a wrong passphrase', () => {
    const path = join(temp.dir, 'tftsr.db');
    openDatabase({ path, key: TEST_KEY }).close();
    expect(() => sqlcipher(path, `PRAGMA key = 'wrong passphrase';\nSELECT count(*) FROM sqlite_master;\n`)).toThrow(/not a database/);
  });

  it('opens a database the shell created with its default settings', () => {
    const path = join(temp.dir, 'shell.db');
    const key = `shell's ${TEST_KEY}`;
    sqlcipher(path, `PRAGMA key = ${quoted(key)};\nCREATE TABLE t (x TEXT);\nINSERT INTO t VALUES ('written by the shell');\n`);
    const db = openDatabase({ path, key });
    expect(db.prepare('SELECT x FROM t').all()).toEqual([{ x: 'written by the shell' }]);
    migrate(db, loadMigrations());
    db.close();
  });
});
