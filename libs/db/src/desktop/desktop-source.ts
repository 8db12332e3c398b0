import Database from 'better-sqlite3-multiple-ciphers';
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { isSqliteBusy, isSqliteLocked } from '../errors';

/** A problem with the desktop database as a whole (missing, locked, wrong key, truncated, too new): nothing is imported. */
export class DesktopSourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DesktopSourceError';
  }
}

/** SQLite found damaged pages while reading: the issue being read is skipped, the others still come in. */
export class DesktopCorruptError extends DesktopSourceError {
  constructor(message: string) {
    super(message);
    this.name = 'DesktopCorruptError';
  }
}

/** The newest desktop migration this importer knows (shared/reference/desktop-app.md §2.3): 042. */
export const NEWEST_KNOWN_MIGRATION = 42;
/** The oldest level the app shipped with encryption and FTS: the initial commit had 001-010. */
export const OLDEST_SUPPORTED_MIGRATION = 10;
/** The desktop's SQLCipher page size (§2.1); the rest are SQLCipher 4 defaults (legacy=4). */
export const DESKTOP_PAGE_SIZE = 16384;

const PLAIN_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

export interface KeyCandidate {
  /** Where the key came from, for messages; never the key itself. */
  source: string;
  key: string;
}

export type DesktopRow = Record<string, unknown>;

/** The desktop rows of one issue, read with the columns its migration level has. */
export interface DesktopBundle {
  issue: DesktopRow;
  logFiles: DesktopRow[];
  images: DesktopRow[];
  steps: DesktopRow[];
  conversations: DesktopRow[];
  messages: DesktopRow[];
  documents: DesktopRow[];
  timeline: DesktopRow[];
}

export type DesktopChildTable =
  'log_files' | 'image_attachments' | 'resolution_steps' | 'ai_conversations' | 'ai_messages' | 'documents' | 'timeline_events';

const ISSUE_COLUMNS = [
  'id',
  'title',
  'description',
  'severity',
  'status',
  'category',
  'source',
  'created_at',
  'updated_at',
  'resolved_at',
  'assigned_to',
  'tags',
];
const LOG_COLUMNS = [
  'id',
  'issue_id',
  'file_name',
  'file_path',
  'file_size',
  'mime_type',
  'content_hash',
  'uploaded_at',
  'redacted',
  'content_compressed',
];
const IMAGE_COLUMNS = [
  'id',
  'issue_id',
  'file_name',
  'file_path',
  'file_size',
  'mime_type',
  'upload_hash',
  'uploaded_at',
  'is_paste',
  'image_data',
];
const STEP_COLUMNS = ['id', 'issue_id', 'step_order', 'why_question', 'answer', 'evidence', 'created_at'];
const CONVERSATION_COLUMNS = ['id', 'issue_id', 'provider', 'model', 'created_at', 'title'];
const MESSAGE_COLUMNS = ['id', 'conversation_id', 'role', 'content', 'token_count', 'created_at'];
const DOCUMENT_COLUMNS = ['id', 'issue_id', 'doc_type', 'title', 'content_md', 'created_at', 'updated_at'];
const TIMELINE_COLUMNS = ['id', 'issue_id', 'event_type', 'description', 'metadata', 'created_at'];

export interface DesktopSourceInfo {
  path: string;
  encrypted: boolean;
  keySource: string | null;
  /** The highest migration number applied, e.g. 42. */
  level: number;
  migrations: string[];
}

/**
 * The desktop database, opened read-only and held in one read transaction for the whole import: a consistent
 * snapshot, and the app cannot commit underneath it. Reads only columns that exist at the file's migration level.
 */
export class DesktopSource {
  private readonly columns = new Map<string, Set<string>>();

  private constructor(
    private readonly db: Database.Database,
    readonly info: DesktopSourceInfo,
  ) {}

  static open(path: string, candidates: KeyCandidate[]): DesktopSource {
    if (!existsSync(path)) throw new DesktopSourceError(`there is no desktop database at ${path}`);
    const size = statSync(path).size;
    for (const suffix of ['-journal', '-wal']) {
      const side = `${path}${suffix}`;
      if (existsSync(side) && statSync(side).size > 0) {
        throw new DesktopSourceError(
          `the desktop database is in use or was not closed cleanly (${side} exists): close the TFTSR desktop app and try again`,
        );
      }
    }
    const plain = startsWithPlainHeader(path);
    if (size === 0) throw new DesktopSourceError(`${path} is empty: it is not a desktop database`);
    if (!plain && size % DESKTOP_PAGE_SIZE !== 0) {
      throw new DesktopSourceError(`${path} is truncated: ${size} bytes is not a whole number of ${DESKTOP_PAGE_SIZE}-byte pages`);
    }
    if (plain) {
      const expected = plainFileSize(path);
      if (size < expected) throw new DesktopSourceError(`${path} is truncated: ${size} bytes, but its header says ${expected}`);
      return DesktopSource.connect(path, null);
    }
    if (candidates.length === 0) {
      throw new DesktopSourceError(
        `${path} is encrypted and no key was found: give --key-file, set TRCAA_DB_KEY, or put the app's .dbkey beside the database`,
      );
    }
    for (const candidate of candidates) {
      const source = DesktopSource.tryConnect(path, candidate);
      if (source) return source;
    }
    throw new DesktopSourceError(
      `wrong key: none of ${candidates.map((c) => c.source).join(', ')} opens ${path} (or the file is not a desktop database)`,
    );
  }

  private static tryConnect(path: string, candidate: KeyCandidate): DesktopSource | null {
    try {
      return DesktopSource.connect(path, candidate);
    } catch (err) {
      if (err instanceof WrongKey) return null;
      throw err;
    }
  }

  private static connect(path: string, candidate: KeyCandidate | null): DesktopSource {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    try {
      if (candidate) {
        // SQLite3MC's names for the app's PRAGMA cipher_page_size, kdf_iter, cipher_kdf_algorithm and
        // cipher_hmac_algorithm (2 = SHA-512); legacy=4 implies the last three, spelled out so they cannot drift.
        db.pragma(`cipher='sqlcipher'`);
        db.pragma('legacy=4');
        db.pragma(`legacy_page_size=${DESKTOP_PAGE_SIZE}`);
        db.pragma('kdf_iter=256000');
        db.pragma('kdf_algorithm=2');
        db.pragma('hmac_algorithm=2');
        db.key(Buffer.from(candidate.key, 'utf8'));
      }
      // No waiting: a lock held by the app means it is writing, and the user should close it first.
      db.pragma('busy_timeout = 0');
      db.exec('BEGIN');
      try {
        db.prepare('SELECT count(*) FROM sqlite_master').get();
      } catch (err) {
        throw translate(err, path, candidate !== null);
      }
      const migrations = readMigrations(db, path);
      const info: DesktopSourceInfo = {
        path,
        encrypted: candidate !== null,
        keySource: candidate?.source ?? null,
        level: migrationLevel(migrations),
        migrations,
      };
      return new DesktopSource(db, info);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  hasTable(table: string): boolean {
    return this.columnsOf(table).size > 0;
  }

  hasColumn(table: string, column: string): boolean {
    return this.columnsOf(table).has(column);
  }

  /** Every issue, oldest first. */
  issues(): DesktopRow[] {
    return this.select<DesktopRow>('issues', ISSUE_COLUMNS, '1', [], 'created_at, id');
  }

  /** The rows of one issue, each table in the order the importer replays them. */
  bundle(issue: DesktopRow): DesktopBundle {
    const id = issue.id;
    const of = (table: string, columns: string[], order: string) => this.select<DesktopRow>(table, columns, 'issue_id = ?', [id], order);
    return {
      issue,
      logFiles: of('log_files', LOG_COLUMNS, 'uploaded_at, id'),
      images: of('image_attachments', IMAGE_COLUMNS, 'uploaded_at, id'),
      steps: of('resolution_steps', STEP_COLUMNS, 'step_order, created_at, id'),
      conversations: of('ai_conversations', CONVERSATION_COLUMNS, 'created_at, id'),
      messages: this.select<DesktopRow>(
        'ai_messages',
        MESSAGE_COLUMNS,
        'conversation_id IN (SELECT id FROM ai_conversations WHERE issue_id = ?)',
        [id],
        'created_at, id',
      ),
      documents: of('documents', DOCUMENT_COLUMNS, 'created_at, id'),
      timeline: of('timeline_events', TIMELINE_COLUMNS, 'created_at, id'),
    };
  }

  /** Rows whose issue is gone, per table: the app never enabled foreign keys and deleted issues statement by statement. */
  orphans(): Record<DesktopChildTable, number> {
    const noIssue = 'issue_id NOT IN (SELECT id FROM issues)';
    return {
      log_files: this.countWhere('log_files', noIssue),
      image_attachments: this.countWhere('image_attachments', noIssue),
      resolution_steps: this.countWhere('resolution_steps', noIssue),
      ai_conversations: this.countWhere('ai_conversations', noIssue),
      ai_messages: this.countWhere(
        'ai_messages',
        `conversation_id NOT IN (SELECT id FROM ai_conversations WHERE issue_id IN (SELECT id FROM issues))`,
      ),
      documents: this.countWhere('documents', noIssue),
      timeline_events: this.countWhere('timeline_events', noIssue),
    };
  }

  /** All rows of `table`; 0 when the file's level has no such table. */
  count(table: string): number {
    return this.countWhere(table, '1');
  }

  /** Rows of `table` matching `where`, with only the wanted columns that exist (missing ones come back undefined). */
  private select<T>(table: string, wanted: readonly string[], where: string, params: unknown[], orderBy: string): T[] {
    if (!this.hasTable(table)) return [];
    const present = wanted.filter((c) => this.hasColumn(table, c));
    const sql = `SELECT ${present.map((c) => `"${c}"`).join(', ')} FROM "${table}" WHERE ${where} ORDER BY ${orderBy}`;
    return this.read(() => this.db.prepare(sql).all(...params) as T[]);
  }

  private countWhere(table: string, where: string): number {
    if (!this.hasTable(table)) return 0;
    return this.read(() => (this.db.prepare(`SELECT count(*) AS n FROM "${table}" WHERE ${where}`).get() as { n: number }).n);
  }

  close(): void {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
    this.db.close();
  }

  private read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw translate(err, this.info.path, this.info.encrypted);
    }
  }

  private columnsOf(table: string): Set<string> {
    let set = this.columns.get(table);
    if (!set) {
      const rows = this.read(() => this.db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[]);
      set = new Set(rows.map((r) => r.name));
      this.columns.set(table, set);
    }
    return set;
  }
}

class WrongKey extends Error {}

function translate(err: unknown, path: string, encrypted: boolean): Error {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'SQLITE_NOTADB') {
    if (encrypted) return new WrongKey();
    return new DesktopSourceError(`${path} is not a SQLite database, or it is damaged`);
  }
  if (isSqliteBusy(err) || isSqliteLocked(err)) {
    return new DesktopSourceError('the desktop database is in use (locked by another program): close the TFTSR desktop app and try again');
  }
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_IOERR_SHORT_READ') {
    return new DesktopCorruptError(`${path} is corrupt or truncated (${code}): nothing was imported from the damaged part`);
  }
  return err as Error;
}

function startsWithPlainHeader(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(16);
    return readSync(fd, head, 0, 16, 0) === 16 && head.equals(PLAIN_HEADER);
  } finally {
    closeSync(fd);
  }
}

/** Page size (offset 16; 1 means 65536) times page count (offset 28), from a plain file's header. */
function plainFileSize(path: string): number {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(32);
    if (readSync(fd, head, 0, 32, 0) < 32) return Number.MAX_SAFE_INTEGER;
    const pageSize = head.readUInt16BE(16) === 1 ? 65536 : head.readUInt16BE(16);
    return pageSize * head.readUInt32BE(28);
  } finally {
    closeSync(fd);
  }
}

function readMigrations(db: Database.Database, path: string): string[] {
  const table = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'`).get();
  if (!table) throw new DesktopSourceError(`${path} has no _migrations table: it is not a TFTSR desktop database`);
  return (db.prepare('SELECT name FROM _migrations ORDER BY name').all() as { name: string }[]).map((r) => r.name);
}

/** The highest migration number; a number past 042 is a newer app whose schema this importer cannot know. */
function migrationLevel(names: string[]): number {
  let level = 0;
  for (const name of names) {
    const match = /^(\d{3})_/.exec(name);
    if (!match)
      throw new DesktopSourceError(`the desktop database lists a migration named ${JSON.stringify(name)}, which no released app wrote`);
    const n = Number(match[1]);
    if (n > NEWEST_KNOWN_MIGRATION) {
      throw new DesktopSourceError(
        `the desktop database has migration ${name}, newer than this importer knows (up to ${String(NEWEST_KNOWN_MIGRATION).padStart(3, '0')}): update tftsr and try again`,
      );
    }
    level = Math.max(level, n);
  }
  if (level < OLDEST_SUPPORTED_MIGRATION) {
    throw new DesktopSourceError(
      `the desktop database is at migration ${String(level).padStart(3, '0')}; only ${String(OLDEST_SUPPORTED_MIGRATION).padStart(3, '0')} and later can be imported`,
    );
  }
  return level;
}
