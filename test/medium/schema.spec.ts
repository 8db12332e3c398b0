import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from '@tftsr/db';
import { loadMigrations, migrate, openDatabase } from '@tftsr/db';
import { makeTempDir, TEST_KEY } from '../support/temp-dir';

/**
 * The seed's schema is our contract, column for column. A database built from the seed's own DDL
 * (test/fixtures/seed-schema.sql, extracted verbatim from shared/seed/Database.md) is the reference.
 */
const SEED_TABLES = [
  'issues',
  'log_files',
  'pii_spans',
  'ai_conversations',
  'ai_messages',
  'resolution_steps',
  'documents',
  'audit_log',
  'settings',
  'issues_fts',
  'credentials',
  'integration_config',
  'image_attachments',
];

/** Columns that later migrations add to seed tables, each with the migration that adds it. */
const ADDED_COLUMNS: Record<string, string[]> = { audit_log: ['prev_hash', 'entry_hash'], pii_spans: ['scan_run_id'] };

function describeTable(db: Db, table: string) {
  const columns = db.pragma(`table_xinfo(${table})`) as { name: string }[];
  return {
    columns: columns.filter((c) => !(ADDED_COLUMNS[table] ?? []).includes(c.name)),
    foreignKeys: db.pragma(`foreign_key_list(${table})`),
    uniques: (db.pragma(`index_list(${table})`) as { name: string; unique: number; origin: string }[])
      .filter((i) => i.origin !== 'c')
      .map((i) => ({
        unique: i.unique,
        origin: i.origin,
        columns: (db.pragma(`index_info(${i.name})`) as { name: string }[]).map((c) => c.name),
      })),
  };
}

/** The CREATE statement without comments and layout: what SQLite would parse, CHECKs included. */
function normalisedSql(db: Db, table: string): string {
  const { sql } = db.prepare(`SELECT sql FROM sqlite_master WHERE name = ?`).get(table) as { sql: string };
  return sql
    .replace(/--[^\n]*/g, '')
    .replace(/\s+/g, ' ')
    .replace(/\s*([(),])\s*/g, '$1')
    .trim();
}

describe('schema', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let seed: Db;
  let ours: Db;

  beforeAll(() => {
    temp = makeTempDir();
    seed = openDatabase({ path: join(temp.dir, 'seed.db'), key: null });
    seed.exec(readFileSync(join(__dirname, '..', 'fixtures', 'seed-schema.sql'), 'utf8'));
    ours = openDatabase({ path: join(temp.dir, 'tftsr.db'), key: TEST_KEY });
    migrate(ours, loadMigrations());
  });
  afterAll(() => {
    seed.close();
    ours.close();
    temp.remove();
  });

  it.each(SEED_TABLES)('%s has the seed’s columns, types, NOT NULLs, defaults, keys and unique constraints', (table) => {
    expect(describeTable(ours, table)).toEqual(describeTable(seed, table));
  });

  it('numbers the seed’s migrations 001 to 012 in the seed’s order, with image_attachments as 012', () => {
    const names = loadMigrations()
      .map((m) => m.name)
      .slice(0, 12);
    expect(names.map((n) => n.slice(0, 3))).toEqual(['001', '002', '003', '004', '005', '006', '007', '008', '009', '010', '011', '012']);
    expect(names[11]).toBe('012_create_image_attachments');
  });

  it('reproduces each seed CREATE statement exactly after migrations 001 to 012, CHECK constraints included', () => {
    const early = openDatabase({ path: join(temp.dir, 'early.db'), key: null });
    migrate(early, loadMigrations().slice(0, 12));
    for (const table of SEED_TABLES) expect(normalisedSql(early, table)).toBe(normalisedSql(seed, table));
    early.close();
  });

  it('adds only documented columns to the seed’s tables', () => {
    for (const table of SEED_TABLES) {
      const seedNames = (seed.pragma(`table_xinfo(${table})`) as { name: string }[]).map((c) => c.name);
      const ourNames = (ours.pragma(`table_xinfo(${table})`) as { name: string }[]).map((c) => c.name);
      expect(ourNames).toEqual([...seedNames, ...(ADDED_COLUMNS[table] ?? [])]);
    }
  });

  it('indexes every foreign-key column', () => {
    for (const table of SEED_TABLES) {
      const fks = ours.pragma(`foreign_key_list(${table})`) as { from: string }[];
      const indexed = (ours.pragma(`index_list(${table})`) as { name: string }[]).map(
        (i) => (ours.pragma(`index_info(${i.name})`) as { name: string }[])[0]?.name,
      );
      for (const fk of fks)
        expect({ table, column: fk.from, indexed: indexed.includes(fk.from) }).toEqual({ table, column: fk.from, indexed: true });
    }
  });

  it('keeps issues_fts in step with issues on insert, update and delete', () => {
    const insert = ours.prepare(
      `INSERT INTO issues (id, title, description, severity, status, created_at, updated_at) VALUES (?, ?, ?, 'high', 'open', '2026-01-01 00:00:00', '2026-01-01 00:00:00')`,
    );
    const search = (q: string) =>
      (ours.prepare(`SELECT id FROM issues_fts WHERE issues_fts MATCH ?`).all(q) as { id: string }[]).map((r) => r.id);
    insert.run('i1', 'Disk full on db01', 'the volume filled overnight');
    expect(search('overnight')).toEqual(['i1']);
    ours.prepare(`UPDATE issues SET description = 'rotated logs were never deleted' WHERE id = 'i1'`).run();
    expect(search('overnight')).toEqual([]);
    expect(search('rotated')).toEqual(['i1']);
    ours.prepare(`DELETE FROM issues WHERE id = 'i1'`).run();
    expect(search('rotated')).toEqual([]);
    expect(ours.prepare(`INSERT INTO issues_fts(issues_fts) VALUES ('integrity-check')`).run().changes).toBeGreaterThanOrEqual(0);
  });

  it('cascades a deleted issue to its children, because foreign keys are on', () => {
    ours.exec(`
      INSERT INTO issues (id, title, severity, status, created_at, updated_at) VALUES ('i2', 't', 'low', 'open', 'x', 'x');
      INSERT INTO log_files (id, issue_id, file_name, file_path, uploaded_at) VALUES ('l1', 'i2', 'a.log', 'blobs/a', 'x');
      INSERT INTO pii_spans (id, log_file_id, pii_type, start_offset, end_offset, original_value, replacement) VALUES ('s1', 'l1', 'Email', 0, 5, 'a@b.c', '[Email]');
      DELETE FROM issues WHERE id = 'i2';
    `);
    expect(ours.prepare(`SELECT (SELECT count(*) FROM log_files) + (SELECT count(*) FROM pii_spans) AS n`).get()).toEqual({ n: 0 });
  });
});
