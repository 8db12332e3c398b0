import { join } from 'node:path';
import { makeTempDir, TEST_KEY } from '@tftsr/test-support/temp-dir';
import type { Db } from './database';
import { openDatabase } from './database';
import { isSqliteBusy, isSqliteLocked } from './errors';
import { tryWriteLock } from './probes';

/** What better-sqlite3 really throws, not hand-made codes: it reports SQLite's extended result codes. */
describe('isSqliteBusy', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let db: Db;
  let other: Db;

  beforeEach(() => {
    temp = makeTempDir();
    const path = join(temp.dir, 'tftsr.db');
    db = openDatabase({ path, key: TEST_KEY });
    db.exec('CREATE TABLE t (x INTEGER UNIQUE)');
    other = openDatabase({ path, key: TEST_KEY });
    other.pragma('busy_timeout = 0');
  });
  afterEach(() => {
    other.close();
    db.close();
    temp.remove();
  });

  const thrown = (fn: () => unknown): unknown => {
    try {
      fn();
    } catch (err) {
      return err;
    }
    throw new Error('expected a throw');
  };

  it('matches SQLITE_BUSY from a write lock held by another connection', () => {
    db.exec('BEGIN IMMEDIATE');
    const err = thrown(() => other.exec('BEGIN IMMEDIATE'));
    db.exec('ROLLBACK');
    expect((err as { code: string }).code).toBe('SQLITE_BUSY');
    expect(isSqliteBusy(err)).toBe(true);
    expect(isSqliteLocked(err)).toBe(false);
  });

  it('matches the extended SQLITE_BUSY_SNAPSHOT, which a plain equality check missed', () => {
    other.exec('BEGIN');
    other.prepare('SELECT count(*) FROM t').get();
    db.prepare('INSERT INTO t VALUES (1)').run();
    const err = thrown(() => other.prepare('INSERT INTO t VALUES (2)').run());
    other.exec('ROLLBACK');
    expect((err as { code: string }).code).toBe('SQLITE_BUSY_SNAPSHOT');
    expect(isSqliteBusy(err)).toBe(true);
  });

  it('does not match other failures, or values that are not errors', () => {
    db.prepare('INSERT INTO t VALUES (1)').run();
    const constraint = thrown(() => db.prepare('INSERT INTO t VALUES (1)').run());
    expect((constraint as { code: string }).code).toBe('SQLITE_CONSTRAINT_UNIQUE');
    for (const value of [constraint, new Error('SQLITE_BUSY'), { code: 'SQLITE_BUSYNESS' }, { code: 5 }, null, undefined, 'SQLITE_BUSY'])
      expect(isSqliteBusy(value)).toBe(false);
  });

  it('lets tryWriteLock answer "not now" while the lock is held, and "yes" once it is free', () => {
    db.exec('BEGIN IMMEDIATE');
    expect(tryWriteLock(other, 0)).toBe(false);
    db.exec('COMMIT');
    expect(tryWriteLock(other, 0)).toBe(true);
  });
});
