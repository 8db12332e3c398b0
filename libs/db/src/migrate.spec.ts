import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, TEST_KEY } from '@tftsr/test-support/temp-dir';
import type { Db } from './database';
import { openDatabase } from './database';
import type { MigrationFile } from './migrate';
import { loadMigrations, migrate, migrationStatus } from './migrate';

function file(name: string, sql: string): MigrationFile {
  return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
}

function tables(db: Db): string[] {
  return (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
}

describe('migrate', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let sut: Db;

  beforeEach(() => {
    temp = makeTempDir();
    sut = openDatabase({ path: join(temp.dir, 'tftsr.db'), key: TEST_KEY });
  });
  afterEach(() => {
    sut.close();
    temp.remove();
  });

  it('applies every migration of the repository in order and records name and applied_at', () => {
    const files = loadMigrations();
    expect(migrate(sut, files)).toEqual(files.map((f) => f.name));
    const rows = sut.prepare('SELECT name, applied_at FROM _migrations ORDER BY id').all() as { name: string; applied_at: string }[];
    expect(rows.map((r) => r.name)).toEqual(files.map((f) => f.name));
    expect(rows[0].applied_at).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  });

  it('changes nothing when run twice', () => {
    migrate(sut, loadMigrations());
    const schema = sut.prepare('SELECT sql FROM sqlite_master ORDER BY name').all();
    expect(migrate(sut, loadMigrations())).toEqual([]);
    expect(sut.prepare('SELECT sql FROM sqlite_master ORDER BY name').all()).toEqual(schema);
  });

  it('leaves nothing of a migration that fails halfway, and keeps the ones before it', () => {
    const files = [
      file('001_create_a', 'CREATE TABLE a (x);'),
      file('002_create_b_broken', 'CREATE TABLE b (x); INSERT INTO nowhere VALUES (1);'),
      file('003_create_c', 'CREATE TABLE c (x);'),
    ];
    expect(() => migrate(sut, files)).toThrow(/002_create_b_broken failed/);
    expect(tables(sut)).toEqual(['_migration_checksums', '_migrations', 'a']);
    expect(migrationStatus(sut, files)).toEqual({ applied: ['001_create_a'], pending: ['002_create_b_broken', '003_create_c'] });
  });

  it('leaves no tracking tables behind when the very first migration fails', () => {
    expect(() => migrate(sut, [file('001_broken', 'CREATE TABLE a (x); SELECT * FROM missing;')])).toThrow();
    expect(tables(sut)).toEqual([]);
  });

  it('refuses a migration that was changed after it was applied', () => {
    migrate(sut, [file('001_create_a', 'CREATE TABLE a (x);')]);
    expect(() => migrate(sut, [file('001_create_a', 'CREATE TABLE a (x, y);')])).toThrow(
      expect.objectContaining({ code: 'MIGRATION_CHANGED' }),
    );
  });

  it('refuses a database with an applied migration that is missing from the folder', () => {
    migrate(sut, [file('001_create_a', 'CREATE TABLE a (x);'), file('002_create_b', 'CREATE TABLE b (x);')]);
    expect(() => migrate(sut, [file('001_create_a', 'CREATE TABLE a (x);')])).toThrow(
      expect.objectContaining({ code: 'MIGRATION_MISSING' }),
    );
  });

  it('skips a migration that another connection applied after this one read the status', () => {
    const other = openDatabase({ path: join(temp.dir, 'tftsr.db'), key: TEST_KEY });
    const files = [file('001_create_a', 'CREATE TABLE a (x);')];
    // Both runners see 001 pending; the second must find its row inside the write lock and skip, not fail.
    expect(migrationStatus(other, files).pending).toEqual(['001_create_a']);
    expect(migrate(sut, files)).toEqual(['001_create_a']);
    expect(migrate(other, files)).toEqual([]);
    other.close();
  });

  it('reads NNN_verb_object.sql files in order and ignores CRLF line endings in the checksum', () => {
    const dir = makeTempDir();
    writeFileSync(join(dir.dir, '002_create_b.sql'), 'CREATE TABLE b (x);\r\n');
    writeFileSync(join(dir.dir, '001_create_a.sql'), 'CREATE TABLE a (x);\n');
    const files = loadMigrations(dir.dir);
    dir.remove();
    expect(files.map((f) => f.name)).toEqual(['001_create_a', '002_create_b']);
    expect(files[1].checksum).toBe(file('x', 'CREATE TABLE b (x);\n').checksum);
  });
});
