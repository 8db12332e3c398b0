import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Db, OpenDatabaseOptions } from './database';
import { openDatabase, transaction } from './database';
import { DatabaseError } from './errors';
import { toDbTimestamp } from './ids';

export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrationStatus {
  applied: string[];
  pending: string[];
}

const FILE_PATTERN = /^(\d{3})_[a-z0-9_]+\.sql$/;

/** The repository's `migrations/` folder, found from wherever this file runs (ts source or compiled dist). */
export function defaultMigrationsDir(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'migrations');
    if (existsSync(join(candidate, '001_create_issues.sql'))) return candidate;
  }
  throw new Error(`cannot find the migrations folder above ${__dirname}`);
}

export function loadMigrations(dir: string = defaultMigrationsDir()): MigrationFile[] {
  const names = readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
  const seen = new Set<string>();
  return names.map((file) => {
    const match = FILE_PATTERN.exec(file);
    if (!match) throw new Error(`migration file name ${file} is not NNN_verb_object.sql`);
    if (seen.has(match[1])) throw new Error(`two migrations are numbered ${match[1]}`);
    seen.add(match[1]);
    // Normalise line endings, so a checkout with CRLF does not look like an edited migration.
    const sql = readFileSync(join(dir, file), 'utf8').replace(/\r\n/g, '\n');
    return { name: file.slice(0, -4), sql, checksum: createHash('sha256').update(sql).digest('hex') };
  });
}

function ensureTrackingTables(db: Db): void {
  // `_migrations` is the seed's (name + applied_at); the checksums are ours, so an edited file is caught.
  db.exec(`
    CREATE TABLE IF NOT EXISTS _migrations (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      applied_at TEXT NOT NULL DEFAULT (datetime('now'))
    );
    CREATE TABLE IF NOT EXISTS _migration_checksums (
      name TEXT PRIMARY KEY,
      sha256 TEXT NOT NULL
    );
  `);
}

function readApplied(db: Db): Map<string, string | null> {
  const hasTable = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'`).get();
  if (!hasTable) return new Map();
  const rows = db
    .prepare(`SELECT m.name, c.sha256 FROM _migrations m LEFT JOIN _migration_checksums c ON c.name = m.name ORDER BY m.name`)
    .all() as { name: string; sha256: string | null }[];
  return new Map(rows.map((r) => [r.name, r.sha256]));
}

/** Compares the database with the folder; refuses a database whose history the folder does not match. */
export function migrationStatus(db: Db, files: MigrationFile[]): MigrationStatus {
  const applied = readApplied(db);
  const byName = new Map(files.map((f) => [f.name, f]));
  for (const [name, checksum] of applied) {
    const file = byName.get(name);
    if (!file) {
      throw new DatabaseError('MIGRATION_MISSING', `migration ${name} is applied to the database but missing from the folder`);
    }
    if (checksum !== null && checksum !== file.checksum) {
      throw new DatabaseError('MIGRATION_CHANGED', `migration ${name} was changed after it was applied; add a new migration instead`);
    }
  }
  return {
    applied: [...applied.keys()],
    pending: files.filter((f) => !applied.has(f.name)).map((f) => f.name),
  };
}

/**
 * Applies pending migrations in order, each with its tracking rows in one transaction, and returns their names.
 * The API and the worker may both start at once: whichever takes the write lock second sees the row and skips.
 */
export function migrate(db: Db, files: MigrationFile[] = loadMigrations()): string[] {
  const { pending } = migrationStatus(db, files);
  const done: string[] = [];
  for (const file of files.filter((f) => pending.includes(f.name))) {
    try {
      const applied = transaction(db, () => {
        ensureTrackingTables(db);
        if (db.prepare(`SELECT 1 FROM _migrations WHERE name = ?`).get(file.name)) return false;
        db.exec(file.sql);
        db.prepare(`INSERT INTO _migrations (name, applied_at) VALUES (?, ?)`).run(file.name, toDbTimestamp());
        db.prepare(`INSERT INTO _migration_checksums (name, sha256) VALUES (?, ?)`).run(file.name, file.checksum);
        return true;
      });
      if (applied) done.push(file.name);
    } catch (err) {
      throw new DatabaseError('MIGRATION_FAILED', `migration ${file.name} failed: ${(err as Error).message}`, { cause: err });
    }
  }
  return done;
}

/**
 * Opens the shared file and brings its schema up to date: what both apps do at boot (upgrades run their
 * migrations at start). The second process to arrive finds nothing to do.
 */
export function openAndMigrate(options: OpenDatabaseOptions, logger: { log(m: string): void; warn(m: string): void }): Db {
  const db = openDatabase({ ...options, warn: (m) => logger.warn(m) });
  try {
    const applied = migrate(db, loadMigrations());
    if (applied.length > 0) logger.log(`applied ${applied.length} migration(s): ${applied.join(', ')}`);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}
