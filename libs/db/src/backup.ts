import { createHash } from 'node:crypto';
import { createPrivateFile } from './private-files';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  closeSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { cipherIntegrityCheck } from './cipher-check';
import type { Db } from './database';
import { isPlainSqliteFile, openDatabase } from './database';

/**
 * Backups: `{dest}/tftsr.db` (a snapshot, encrypted like the original), `{dest}/blobs/…` (the stored files the
 * snapshot's rows point at, copied as they are: already encrypted), `{dest}/chunks/…` (the append files of the
 * snapshot's open log-stream chunks, each cut at the committed length the snapshot records: already encrypted)
 * and `{dest}/manifest.json` (sizes, hashes).
 */
export const BACKUP_FORMAT = 'tftsr-backup/1';
export const MANIFEST_FILE = 'manifest.json';
export const DATABASE_FILE = 'tftsr.db';

export interface ManifestFile {
  /** Relative to the backup (and to the data directory): `tftsr.db` or `blobs/3f/….blob`. */
  path: string;
  size: number;
  /** SHA-256 of the bytes as stored (ciphertext), so a damaged copy is found before it is restored. */
  sha256: string;
}

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  created_at: string;
  /** The last applied migration: a restore refuses a backup made by a newer schema than the code knows. */
  schema_version: string | null;
  migrations_applied: number;
  encrypted: boolean;
  database: ManifestFile;
  blobs: ManifestFile[];
  /**
   * The append files of open and closing log-stream chunks (`chunks/<id>.open`), as committed in the snapshot.
   * Absent from backups made before migration 040.
   */
  chunk_files?: ManifestFile[];
  /** Referenced by a row of the snapshot but absent from the blob store while the backup ran. */
  missing_blobs: string[];
  /** Rows whose file lies outside blobs/ (desktop-app rows with the user's own paths): not ours to copy. */
  external_files: number;
}

/** A stored file a row points at, with what its plaintext must hash to (when the row knows it). */
export interface StoredFileRef {
  kind: 'log_file' | 'redacted_log_file' | 'image_attachment';
  id: string;
  path: string;
  sha256: string | null;
  size: number | null;
}

const STORED_FILES_SQL = `
  SELECT 'log_file' AS kind, id, file_path AS path, content_hash AS sha256, file_size AS size
    FROM log_files WHERE file_path LIKE 'blobs/%'
  UNION ALL
  SELECT 'redacted_log_file', log_file_id, redacted_path, redacted_sha256, redacted_size
    FROM log_file_redactions WHERE redacted_path LIKE 'blobs/%'
  UNION ALL
  SELECT 'image_attachment', id, file_path, NULL, file_size
    FROM image_attachments WHERE file_path LIKE 'blobs/%'`;

const EXTERNAL_FILES_SQL = `
  SELECT (SELECT count(*) FROM log_files WHERE file_path NOT LIKE 'blobs/%' AND file_path <> '')
       + (SELECT count(*) FROM image_attachments WHERE file_path NOT LIKE 'blobs/%' AND file_path <> '') AS n`;

/** Every file in the blob store that a row points at. Image hashes are of the upload, not of what is stored. */
export function listStoredFiles(db: Db): StoredFileRef[] {
  return db.prepare(STORED_FILES_SQL).all() as StoredFileRef[];
}

/** The append files of the open (and closing) chunks, with their committed lengths (migration 040). */
export function listChunkFiles(db: Db): { path: string; size: number }[] {
  const columns = db.prepare(`SELECT name FROM pragma_table_info('log_stream_chunks')`).all() as { name: string }[];
  if (!columns.some((c) => c.name === 'file_bytes')) return [];
  const rows = db
    .prepare(`SELECT id, file_bytes FROM log_stream_chunks WHERE state IN ('open', 'closing') AND file_bytes IS NOT NULL`)
    .all() as { id: string; file_bytes: number }[];
  return rows.map((r) => ({ path: `chunks/${r.id}.open`, size: r.file_bytes }));
}

export function countExternalFiles(db: Db): number {
  return (db.prepare(EXTERNAL_FILES_SQL).get() as { n: number }).n;
}

export function schemaVersion(db: Db): { name: string | null; applied: number } {
  const row = db.prepare(`SELECT max(name) AS name, count(*) AS applied FROM _migrations`).get() as {
    name: string | null;
    applied: number;
  };
  return row;
}

/**
 * An online, consistent copy of the database: one read transaction, so writers carry on (WAL) and the copy is
 * the database as of one commit. VACUUM INTO, not the backup API: better-sqlite3's `backup()` opens the target
 * on a fresh connection without a key, which SQLite3MC refuses for an encrypted source ("incompatible source
 * and target databases"). VACUUM INTO writes through this connection's codec, so the copy is encrypted with the
 * same key and cipher (SQLCipher 4); `assertEncryptedCopy` proves it.
 */
export function snapshotDatabase(db: Db, dest: string): void {
  if (existsSync(dest)) throw new Error(`${dest} already exists`);
  // VACUUM INTO takes an empty file, and keeps its mode.
  createPrivateFile(dest);
  db.prepare('VACUUM INTO ?').run(dest);
  fsyncFile(dest);
}

/** The copy is not plain SQLite, every page authenticates under the key (SQLCipher 4), and it opens with it. */
export function assertEncryptedCopy(path: string, key: string): void {
  if (isPlainSqliteFile(path)) throw new Error(`${path} is NOT encrypted: it starts with the plain SQLite header`);
  const pages = cipherIntegrityCheck(path, key);
  if (pages.pages === 0 || pages.badPages.length > 0) {
    throw new Error(`${path} is not a SQLCipher 4 database under this key: page(s) ${pages.badPages.join(', ')} fail authentication`);
  }
  const db = openDatabase({ path, key, readonly: true });
  db.close();
}

/**
 * Read access to stored blobs as stored (ciphertext), which libs/storage's BlobStore gives for the filesystem
 * and for a bucket alike. Unset, a backup reads `{dataDir}/blobs` directly.
 */
export interface StoredBlobSource {
  /** null when there is no such blob. */
  openStored(path: string): Promise<Readable | null>;
}

export interface BackupOptions {
  /** A connection to the live database; the snapshot is read through it. */
  db: Db;
  dataDir: string;
  /** Where the blobs are read from; unset: `{dataDir}/blobs`. */
  blobs?: StoredBlobSource;
  key: string | null;
  /** Must not exist; it appears complete (a rename) or not at all. */
  dest: string;
}

export interface BackupResult {
  manifest: BackupManifest;
  /** Snapshots taken: more than one when files were deleted between a snapshot and the copy of its files. */
  rounds: number;
}

const MAX_ROUNDS = 4;

/**
 * Copies the database and the blobs its snapshot needs. Blobs written after the snapshot are not needed; blobs
 * deleted after it (an issue deleted meanwhile: rows go first, files after the commit) are missing, and then a
 * new snapshot, which no longer points at them, is taken. A file still missing from two snapshots in a row is
 * really missing from the source: it is recorded in the manifest.
 */
export async function createBackup(options: BackupOptions): Promise<BackupResult> {
  const dest = resolve(options.dest);
  if (existsSync(dest)) throw new Error(`${dest} already exists; backups never overwrite`);
  if (!existsSync(dirname(dest))) throw new Error(`${dirname(dest)} does not exist`);
  const staging = `${dest}.partial-${process.pid}`;
  const blobs = options.blobs ?? directorySource(options.dataDir);
  removeAbandoned(dirname(dest), `${basename(dest)}.partial-`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true, mode: 0o700 });
  try {
    const copied = new Map<string, ManifestFile>();
    const copiedChunks = new Map<string, ManifestFile>();
    let missing: string[] = [];
    let snapshot: ReturnType<typeof readSnapshot>;
    let rounds = 0;
    for (;;) {
      rounds += 1;
      rmSync(join(staging, DATABASE_FILE), { force: true });
      snapshotDatabase(options.db, join(staging, DATABASE_FILE));
      snapshot = readSnapshot(join(staging, DATABASE_FILE), options.key);
      const wanted = new Set(snapshot.files.map((f) => f.path));
      for (const path of [...copied.keys()]) {
        if (!wanted.has(path)) {
          rmSync(join(staging, path), { force: true });
          copied.delete(path);
        }
      }
      const nowMissing: string[] = [];
      for (const path of wanted) {
        if (copied.has(path)) continue;
        const copy = await copyBlob(blobs, staging, path);
        if (copy) copied.set(path, copy);
        else nowMissing.push(path);
      }
      // An open chunk's file only grows past what the snapshot committed; one closed since is gone (a new round).
      const chunkFiles = new Map(snapshot.chunkFiles.map((f) => [f.path, f.size]));
      for (const path of [...copiedChunks.keys()]) {
        if (copiedChunks.get(path)?.size === chunkFiles.get(path)) continue;
        rmSync(join(staging, path), { force: true });
        copiedChunks.delete(path);
      }
      for (const [path, size] of chunkFiles) {
        if (copiedChunks.has(path)) continue;
        const copy = await copyChunkFile(options.dataDir, staging, path, size);
        if (copy) copiedChunks.set(path, copy);
        else nowMissing.push(path);
      }
      const stable = nowMissing.every((p) => missing.includes(p));
      missing = nowMissing;
      if (missing.length === 0 || stable || rounds >= MAX_ROUNDS) break;
    }
    if (options.key !== null) assertEncryptedCopy(join(staging, DATABASE_FILE), options.key);
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      created_at: new Date().toISOString(),
      schema_version: snapshot.schema.name,
      migrations_applied: snapshot.schema.applied,
      encrypted: options.key !== null,
      database: { path: DATABASE_FILE, ...(await hashFile(join(staging, DATABASE_FILE))) },
      blobs: [...copied.values()].sort((a, b) => a.path.localeCompare(b.path)),
      chunk_files: [...copiedChunks.values()].sort((a, b) => a.path.localeCompare(b.path)),
      missing_blobs: missing.sort(),
      external_files: snapshot.external,
    };
    writeDurably(join(staging, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    renameSync(staging, dest);
    fsyncFile(dirname(dest));
    return { manifest, rounds };
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Removes `<prefix><pid>` entries of `dir` left by a run of this tool that died (its pid no longer runs), so that
 * after a crash the operator only has to run the same command again (issue 22).
 */
export function removeAbandoned(dir: string, prefix: string): string[] {
  const removed: string[] = [];
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isRunning(pid)) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readSnapshot(path: string, key: string | null) {
  const db = openDatabase({ path, key, readonly: true });
  try {
    return { files: listStoredFiles(db), chunkFiles: listChunkFiles(db), external: countExternalFiles(db), schema: schemaVersion(db) };
  } finally {
    db.close();
  }
}

/** Copies one blob as it is; null when the source has no such file. */
async function copyBlob(blobs: StoredBlobSource, staging: string, path: string): Promise<ManifestFile | null> {
  const to = inside(staging, path);
  const from = await blobs.openStored(path);
  if (!from) return null;
  try {
    return { path, ...(await copyWithHash(from, to)) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** The first `size` bytes (the committed ones) of an open chunk's append file; null when it is gone. */
async function copyChunkFile(dataDir: string, staging: string, path: string, size: number): Promise<ManifestFile | null> {
  const from = inside(dataDir, path);
  if (!existsSync(from)) return null;
  try {
    const copy = {
      path,
      ...(await copyWithHash(
        createReadStream(from, size > 0 ? { start: 0, end: size - 1 } : { start: 0, end: -1 }),
        inside(staging, path),
      )),
    };
    if (copy.size !== size) throw new Error(`${path} holds ${copy.size} bytes, ${size} are committed: acknowledged lines are missing`);
    return copy;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** `{dataDir}/blobs` read directly, as before blob stores were pluggable. */
function directorySource(dataDir: string): StoredBlobSource {
  return {
    async openStored(path: string): Promise<Readable | null> {
      const from = inside(dataDir, path);
      return existsSync(from) ? createReadStream(from) : null;
    },
  };
}

export function readManifest(src: string): BackupManifest {
  const path = join(src, MANIFEST_FILE);
  if (!existsSync(path)) throw new Error(`${src} is not a TFTSR backup: it has no ${MANIFEST_FILE}`);
  const manifest = JSON.parse(readFileSync(path, 'utf8')) as BackupManifest;
  if (manifest.format !== BACKUP_FORMAT) throw new Error(`${path}: unknown backup format ${JSON.stringify(manifest.format)}`);
  return manifest;
}

/**
 * Copies a backup's files into `staging`, checking each one's size and SHA-256 against the manifest as it
 * goes: a damaged backup is refused before anything in the data directory is touched.
 */
export async function copyBackupInto(src: string, manifest: BackupManifest, staging: string): Promise<void> {
  for (const file of [manifest.database, ...manifest.blobs, ...(manifest.chunk_files ?? [])]) {
    const from = inside(src, file.path);
    if (!existsSync(from)) throw new Error(`the backup is incomplete: ${file.path} is missing`);
    const copy = await copyWithHash(createReadStream(from), inside(staging, file.path));
    if (copy.size !== file.size || copy.sha256 !== file.sha256) {
      throw new Error(`the backup is damaged: ${file.path} does not match its manifest (size ${copy.size} vs ${file.size})`);
    }
  }
}

/** Stored paths come from rows and manifests: data, which must never point outside the directory. */
function inside(root: string, path: string): string {
  const base = resolve(root);
  const full = resolve(base, path);
  if (!full.startsWith(base + sep)) throw new Error(`path ${JSON.stringify(path)} points outside ${base}`);
  return full;
}

async function copyWithHash(from: Readable, to: string): Promise<{ size: number; sha256: string }> {
  mkdirSync(dirname(to), { recursive: true, mode: 0o700 });
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _e, done) {
      hash.update(chunk);
      size += chunk.length;
      done(null, chunk);
    },
  });
  try {
    await pipeline(from, tap, createWriteStream(to, { flags: 'wx', mode: 0o600 }));
  } catch (err) {
    rmSync(to, { force: true });
    throw err;
  }
  fsyncFile(to);
  return { size, sha256: hash.digest('hex') };
}

export async function hashFile(path: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return { size: statSync(path).size, sha256: hash.digest('hex') };
}

function writeDurably(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
  fsyncFile(path);
}

/** fsync a file or a directory (directories: so a rename or a new entry survives a power loss). */
export function fsyncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
