import Database from 'better-sqlite3-multiple-ciphers';
import { randomBytes } from 'node:crypto';
import { createPrivateFile } from './private-files';
import { closeSync, existsSync, fsyncSync, linkSync, openSync, readSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseError, WRONG_KEY_MESSAGE } from './errors';

export type Db = Database.Database;
export type Synchronous = 'FULL' | 'EXTRA' | 'NORMAL';

export interface OpenDatabaseOptions {
  path: string;
  /** The passphrase; null opens (or creates) a plain SQLite file, for development only. */
  key: string | null;
  synchronous?: Synchronous;
  busyTimeoutMs?: number;
  readonly?: boolean;
  /** Receives the loud warning about a plain database. */
  warn?: (message: string) => void;
}

const SQLITE_PLAIN_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/**
 * The SQLCipher 4 format the seed specifies: AES-256-CBC, 4096-byte pages, PBKDF2-HMAC-SHA512 with
 * 256,000 iterations and HMAC-SHA512. SQLite3MC's default cipher is ChaCha20, so this must be explicit,
 * and it must come before the key.
 */
export function applyCipher(db: Db, key: string): void {
  db.pragma(`cipher='sqlcipher'`);
  db.pragma('legacy=4');
  db.key(Buffer.from(key, 'utf8'));
}

/** Re-encrypts every page under `key`, in the format `applyCipher` opens. SQLite3MC cannot rekey in WAL mode. */
export function rekeyDatabase(db: Db, key: string): void {
  db.pragma(`cipher='sqlcipher'`);
  db.pragma('legacy=4');
  db.rekey(Buffer.from(key, 'utf8'));
}

/** Opens the database, proves the key with a first read, and sets the pragmas every connection needs. */
export function openDatabase(options: OpenDatabaseOptions): Db {
  if (!options.readonly && !existsSync(options.path)) createDatabaseFile(options.path, options.key);
  const db = new Database(options.path, { readonly: options.readonly ?? false, fileMustExist: options.readonly ?? false });
  try {
    if (options.key !== null) applyCipher(db, options.key);
    proveReadable(db, options.key !== null);
    if (!options.readonly) {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new Error(`could not switch the database to WAL mode (got ${String(mode)})`);
    }
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${Math.max(5000, options.busyTimeoutMs ?? 10000)}`);
    db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
  } catch (err) {
    db.close();
    // A key set for a database that was made without one: the fix is `tftsr db encrypt`, not another key.
    if (err instanceof DatabaseError && err.code === 'DATABASE_KEY_INVALID' && isPlainSqliteFile(options.path)) {
      throw new DatabaseError(
        'DATABASE_NOT_ENCRYPTED',
        `the database ${options.path} is not encrypted, but TFTSR_DB_KEY is set: encrypt it with \`tftsr db encrypt\` ` +
          '(with the API and the worker stopped), or unset TFTSR_DB_KEY and TFTSR_DB_KEY_FILE to use it as it is (development only)',
        { cause: err },
      );
    }
    throw err;
  }
  if (options.key === null) {
    options.warn?.(
      `DATABASE IS NOT ENCRYPTED: ${options.path} is plain SQLite because no TFTSR_DB_KEY is set. ` +
        'Development only; set TFTSR_DB_KEY (or TFTSR_DB_KEY_FILE) and run `tftsr db encrypt`.',
    );
  }
  return db;
}

/**
 * Creates the file complete, then links it into place. Two processes that each created an encrypted file
 * at once would each key it with their own random salt, and one of them would then fail to read it.
 */
function createDatabaseFile(path: string, key: string | null): void {
  const temp = `${path}.init-${process.pid}-${randomBytes(4).toString('hex')}`;
  createPrivateFile(temp);
  const db = new Database(temp);
  try {
    if (key !== null) applyCipher(db, key);
    db.pragma('journal_mode = WAL');
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  try {
    linkSync(temp, path);
    fsyncDirectory(dirname(path));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(temp);
  }
}

function fsyncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function proveReadable(db: Db, encrypted: boolean): void {
  try {
    db.prepare('SELECT count(*) FROM sqlite_master').get();
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (code === 'SQLITE_NOTADB') {
      throw encrypted
        ? new DatabaseError('DATABASE_KEY_INVALID', WRONG_KEY_MESSAGE, { cause: err })
        : new DatabaseError('DATABASE_KEY_MISSING', 'the database is encrypted (or not a database) and no TFTSR_DB_KEY is set', {
            cause: err,
          });
    }
    if (code === 'SQLITE_CORRUPT' || code.startsWith('SQLITE_CORRUPT_'))
      throw new DatabaseError('DATABASE_CORRUPT', 'the database file is corrupt', { cause: err });
    throw err;
  }
}

export function isPlainSqliteFile(path: string): boolean {
  if (!existsSync(path)) return false;
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(16);
    return readSync(fd, head, 0, 16, 0) === 16 && head.equals(SQLITE_PLAIN_HEADER);
  } finally {
    closeSync(fd);
  }
}

/**
 * Runs `fn` in a `BEGIN IMMEDIATE` transaction. The API and the worker write the same file; a deferred
 * transaction that reads and then writes gets SQLITE_BUSY at once, whatever the busy timeout. `askedAt`
 * (`process.hrtime.bigint()`): when the caller first asked for the write lock, if it already tried without
 * waiting (a group commit), so that the lock-wait metric counts the whole wait; now by default.
 */
export function transaction<T>(db: Db, fn: () => T, askedAt?: bigint): T {
  const observe = lockWaitObservers.get(db);
  if (!observe || db.inTransaction) return db.transaction(fn).immediate();
  const asked = askedAt ?? process.hrtime.bigint();
  return db
    .transaction(() => {
      reportLockWait(observe, Number(process.hrtime.bigint() - asked) / 1e9);
      return fn();
    })
    .immediate();
}

/**
 * One transaction function per connection, handed each read as its argument: building a new one per call
 * (`db.transaction(fn)`) was ~3% of a cheap GET (bench/RESULTS.md, issues-get). Nesting works as before: savepoints.
 */
const snapshots = new WeakMap<Db, Database.Transaction<(read: () => unknown) => unknown>>();

/**
 * Runs `fn` in a deferred transaction that only reads: one consistent snapshot across its statements, without
 * taking the write lock. Never write inside it (see `transaction()`).
 */
export function readSnapshot<T>(db: Db, fn: () => T): T {
  let snapshot = snapshots.get(db);
  if (!snapshot) {
    snapshot = db.transaction((read: () => unknown) => read());
    snapshots.set(db, snapshot);
  }
  return snapshot.deferred(fn) as T;
}

const versionReads = new WeakMap<Db, Database.Statement>();

/**
 * A value that changes whenever a commit changes the database: another connection's or process's commit moves
 * `data_version`, this connection's own writes move `total_changes()`. Equal values mean nothing was committed
 * in between, so what was read after the first is still what the database holds. Read it before the data it
 * guards (a commit in between then only makes the data newer than its version).
 */
export function databaseVersion(db: Db): string {
  let read = versionReads.get(db);
  if (!read) {
    read = db.prepare('SELECT data_version AS v, total_changes() AS c FROM pragma_data_version()');
    versionReads.set(db, read);
  }
  const { v, c } = read.get() as { v: number; c: number };
  return `${v}.${c}`;
}

/**
 * `transaction()` and `readSnapshot()` over the app's connection, for a service that needs nothing else of the
 * connection: it takes this (DatabaseModule provides it) instead of the connection itself.
 */
export class TransactionRunner {
  constructor(private readonly db: Db) {}

  /** `transaction()`: BEGIN IMMEDIATE, for every write. */
  write<T>(fn: () => T): T {
    return transaction(this.db, fn);
  }

  /** `readSnapshot()`: one consistent read across statements, without the write lock. */
  read<T>(fn: () => T): T {
    return readSnapshot(this.db, fn);
  }

  /** `databaseVersion()` of the connection. */
  version(): string {
    return databaseVersion(this.db);
  }
}

const lockWaitObservers = new WeakMap<Db, (seconds: number) => void>();

/**
 * Hands the time each outermost transaction() waited for the write lock (its BEGIN IMMEDIATE) to `observe`, for
 * the metrics; null stops it. Per connection, so several apps in one process report to their own registry.
 */
export function observeWriteLockWait(db: Db, observe: ((seconds: number) => void) | null): void {
  if (observe) lockWaitObservers.set(db, observe);
  else lockWaitObservers.delete(db);
}

/** Runs inside the transaction: a failing metric must never roll back a write. */
function reportLockWait(observe: (seconds: number) => void, seconds: number): void {
  try {
    observe(seconds);
  } catch {
    // The write matters; the sample does not.
  }
}
