import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import type { Env } from '@tftsr/config';
import { BaseConfig, loadConfig } from '@tftsr/config';
import type { Db } from '@tftsr/db';
import {
  checkpointWal,
  cipherIntegrityCheck,
  cipherReport,
  integrityProblems,
  loadMigrations,
  migrate,
  migrationStatus,
  openDatabase,
} from '@tftsr/db';
import type { CliIo } from '../cli-io';
import { CliError, timed } from '../cli-io';
import { backupCommand, restoreCommand, verifyCommand } from './backup.command';
import { changeKey, journalPath } from './db-maintenance';

/** The actions of `tftsr db …`, loaded only when one of them runs (see db.command.ts). */
export function dbActions(env: Env, io: CliIo) {
  const config = () => loadConfig(BaseConfig, env);
  return {
    migrate: () => withDb(config(), (d) => timed(io, 'migrations applied', () => report(io, migrate(d, loadMigrations())))),
    status: () => withDb(config(), (d) => status(d, io)),
    check: () => {
      const c = config();
      return withDb(c, (d) => timed(io, 'check finished', () => check(d, c, io)));
    },
    encrypt: () => encrypt(config(), env, io),
    rekey: (newKeyFile: string | undefined) => rekey(config(), newKeyFile, env, io),
    backup: (dest: string) => backupCommand(config(), dest, io),
    restore: (src: string, force: boolean) => restoreCommand(config(), src, force, io),
    verify: () => verifyCommand(config(), io),
  };
}

async function withDb(config: BaseConfig, fn: (db: Db) => number | Promise<number>): Promise<number> {
  const db = openDatabase({ path: config.databasePath, key: config.databaseKey });
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}

function report(io: CliIo, applied: string[]): number {
  io.out(applied.length ? applied.map((n) => `applied ${n}`).join('\n') : 'nothing to apply: the schema is current');
  return 0;
}

function status(db: Db, io: CliIo): number {
  const { applied, pending } = migrationStatus(db, loadMigrations());
  for (const name of applied) io.out(`applied  ${name}`);
  for (const name of pending) io.out(`pending  ${name}`);
  io.err(`${applied.length} applied, ${pending.length} pending`);
  return 0;
}

function check(db: Db, config: BaseConfig, io: CliIo): number {
  const problems = integrityProblems(db);
  io.out(problems.length ? `integrity_check: ${problems.length} problem(s)\n${problems.join('\n')}` : 'integrity_check: ok');
  const key = config.databaseKey;
  if (key === null) {
    io.out('cipher_integrity_check: skipped, the database is not encrypted');
    return problems.length ? 1 : 0;
  }
  // Pages in the WAL are authenticated as SQLite reads them; fold them in so the file check sees them all.
  checkpointWal(db, 'PASSIVE');
  const pages = cipherIntegrityCheck(config.databasePath, key);
  io.out(cipherReport(pages));
  return problems.length || pages.badPages.length ? 1 : 0;
}

async function encrypt(config: BaseConfig, env: Env, io: CliIo): Promise<number> {
  const key = config.databaseKey;
  if (key === null) throw new CliError('set TFTSR_DB_KEY (or TFTSR_DB_KEY_FILE) to the key to encrypt with');
  await withDb(loadConfig(BaseConfig, { ...env, TFTSR_DB_KEY: undefined, TFTSR_DB_KEY_FILE: undefined }), (db) => {
    migrate(db, loadMigrations());
    return 0;
  });
  const result = await timed(io, 'encrypted', () =>
    changeKey({
      path: config.databasePath,
      dataDir: config.dataDir,
      blobStorage: config.blobStorage,
      oldKey: null,
      newKey: key,
      action: 'db_encrypt',
      backupLabel: 'plain-backup',
      say: (line) => io.out(line),
      faults: config,
    }),
  );
  io.out(
    `encrypted ${config.databasePath} (SQLCipher 4; ${result.auditEntries} audit entries re-signed, ${result.blobsRewrapped} blob keys rewrapped)`,
  );
  io.out(`backup of the plain database: ${result.backup}`);
  io.err('the backup is NOT encrypted: delete it securely once you have checked the encrypted database');
  return 0;
}

/**
 * A rekey run again after TFTSR_DB_KEY was already set to the new key: done, or say exactly what is missing (the
 * old key, for stored files still under it), instead of refusing as if the keys were mixed up.
 */
function alreadyUnder(config: BaseConfig, io: CliIo): number {
  if (existsSync(journalPath(config.databasePath))) {
    throw new CliError(
      'a key change to this key is unfinished (see the journal beside the database): run the same command with TFTSR_DB_KEY set to the OLD key, and the new key in --new-key-file or TFTSR_DB_NEW_KEY; it resumes',
    );
  }
  io.out(`${config.databasePath} is already under this key; nothing to do`);
  return 0;
}

async function rekey(config: BaseConfig, newKeyFile: string | undefined, env: Env, io: CliIo): Promise<number> {
  const oldKey = config.databaseKey;
  if (oldKey === null) throw new CliError('the database is not encrypted: use `tftsr db encrypt` first');
  const newKey = newKeyFile ? readFileSync(newKeyFile, 'utf8').trim() : env.TFTSR_DB_NEW_KEY;
  if (!newKey) throw new CliError('give the new key with --new-key-file FILE or TFTSR_DB_NEW_KEY (never on the command line)');
  if (newKey.length < 8) throw new CliError('the new key must be at least 8 characters');
  if (newKey === oldKey) return alreadyUnder(config, io);
  const result = await timed(io, 'rekeyed', () =>
    changeKey({
      path: config.databasePath,
      dataDir: config.dataDir,
      blobStorage: config.blobStorage,
      oldKey,
      newKey,
      action: 'db_rekey',
      backupLabel: 'pre-rekey-backup',
      say: (line) => io.out(line),
      faults: config,
    }),
  );
  io.out(
    `rekeyed ${config.databasePath}${result.resumed ? ' (an interrupted rekey, now finished)' : ''}; ${result.auditEntries} audit entries, ${result.blobsRewrapped} blob keys rewrapped now`,
  );
  io.out(`backup, still under the OLD key: ${result.backup}`);
  io.err('now set TFTSR_DB_KEY to the new key everywhere (API, worker, tools) before starting them');
  return 0;
}
