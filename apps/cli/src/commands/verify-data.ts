import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Db, StoredFileRef } from '@tftsr/db';
import {
  cipherIntegrityCheck,
  cipherReport,
  DatabaseError,
  deriveKey,
  integrityProblems,
  leftoverPii,
  listChunkFiles,
  listStoredFiles,
  loadMigrations,
  LONGEST_SCAN_MS,
  migrationStatus,
  openDatabase,
  RepositorySet,
} from '@tftsr/db';
import type { BlobStore } from '@tftsr/storage';
import { BlobIntegrityError, CHUNK_FILE_KEY_LABEL, ChunkFileDamagedError, ChunkFiles, FsBlobStore } from '@tftsr/storage';

export interface DataVerification {
  /** One line per check, for the operator. */
  lines: string[];
  problems: string[];
  auditEntries: number;
  filesChecked: number;
}

/**
 * Everything that must hold for a data directory to be trusted: SQLite's integrity_check, the HMAC of every
 * page (SQLCipher 4), the audit chain, a schema this code knows, and every stored file present, intact
 * (AES-GCM authenticates each chunk) and hashing to what its row recorded (log files: content_hash, the
 * SHA-256 of the original plaintext, which is what the worker's hasher computes).
 */
export async function verifyDataDir(dataDir: string, key: string | null, store?: BlobStore): Promise<DataVerification> {
  const path = join(dataDir, 'tftsr.db');
  const result: DataVerification = { lines: [], problems: [], auditEntries: 0, filesChecked: 0 };
  const fail = (line: string) => (result.lines.push(line), result.problems.push(line));
  let files: StoredFileRef[];
  let chunkFiles: { path: string; size: number }[];
  const db = openDatabase({ path, key, readonly: true });
  try {
    const integrity = integrityProblems(db);
    if (integrity.length) fail(`integrity_check: ${integrity.length} problem(s): ${integrity.slice(0, 5).join('; ')}`);
    else result.lines.push('integrity_check: ok');
    const chain = new RepositorySet(db, key).audit().verify();
    result.auditEntries = chain.entries;
    if (chain.intact) result.lines.push(`audit chain: intact (${chain.entries} entries)`);
    else fail(`audit chain: broken at entry ${chain.first_broken.position}: ${chain.first_broken.reason}`);
    try {
      const { pending } = migrationStatus(db, loadMigrations());
      result.lines.push(pending.length ? `schema: ${pending.length} migration(s) to apply at the next start` : 'schema: current');
    } catch (err) {
      if (!(err instanceof DatabaseError)) throw err;
      fail(`schema: ${err.message} (was the backup made by a newer version?)`);
    }
    for (const line of checkLeftoverPii(db)) fail(line);
    files = listStoredFiles(db);
    chunkFiles = listChunkFiles(db);
  } finally {
    db.close();
  }
  if (key !== null) {
    // Opened read-only, so nothing was checkpointed: on a running service, what is not yet in the main file is
    // authenticated in the WAL.
    const pages = cipherIntegrityCheck(path, key);
    if (pages.badPages.length) fail(cipherReport(pages));
    else result.lines.push(cipherReport(pages));
  }
  const blobs = store ?? new FsBlobStore(dataDir, deriveKey(key, 'blob-encryption'));
  const fileProblems: string[] = [];
  for (const file of files) {
    const problem = await checkStoredFile(blobs, file);
    result.filesChecked += 1;
    if (problem) fileProblems.push(`${file.kind} ${file.id}: ${problem}`);
  }
  const summary = `stored files: ${result.filesChecked - fileProblems.length} of ${result.filesChecked} present, intact and matching their rows`;
  if (fileProblems.length) fail(`${summary}; ${fileProblems.slice(0, 20).join('; ')}`);
  else result.lines.push(summary);
  const chunkProblems = await checkChunkFiles(dataDir, path, key, chunkFiles);
  const chunkSummary = `open log chunks: ${chunkFiles.length - chunkProblems.length} of ${chunkFiles.length} append file(s) present and authentic up to their committed length`;
  if (chunkProblems.length) fail(`${chunkSummary}; ${chunkProblems.slice(0, 20).join('; ')}`);
  else result.lines.push(chunkSummary);
  return result;
}

/**
 * The append files of open log-stream chunks (`chunks/<id>.open`), each read up to the committed length its row
 * records and every record authenticated, as a close will read it. On a running service a chunk may close
 * between the listing and the read (its file is removed after its commit): a file that fails is checked against
 * its row again, and only a chunk still open with the same committed length counts.
 */
async function checkChunkFiles(
  dataDir: string,
  dbPath: string,
  key: string | null,
  chunks: { path: string; size: number }[],
): Promise<string[]> {
  if (chunks.length === 0) return [];
  const files = new ChunkFiles(dataDir, deriveKey(key, CHUNK_FILE_KEY_LABEL));
  const failed: { path: string; size: number; problem: string }[] = [];
  for (const chunk of chunks) {
    try {
      await files.read(chunkIdOf(chunk.path), chunk.size);
    } catch (err) {
      if (!(err instanceof ChunkFileDamagedError || err instanceof BlobIntegrityError)) throw err;
      failed.push({ ...chunk, problem: err.message });
    }
  }
  if (failed.length === 0) return [];
  const db = openDatabase({ path: dbPath, key, readonly: true });
  try {
    const now = new Map(listChunkFiles(db).map((c) => [c.path, c.size]));
    return failed.filter((f) => now.get(f.path) === f.size).map((f) => f.problem);
  } finally {
    db.close();
  }
}

function chunkIdOf(path: string): string {
  return path.slice('chunks/'.length, -'.open'.length);
}

/**
 * Original values may exist only where a scan is running or a file is not finalized: hidden spans of a scan run
 * begun before the longest possible scan belong to a scan that died, and a finalized file keeps none (issue 22, item 4).
 */
function checkLeftoverPii(db: Db, now = Date.now()): string[] {
  const problems: string[] = [];
  const { staleStaged: stale, unwipedFinalized: unwiped } = leftoverPii(db, now - LONGEST_SCAN_MS);
  if (stale.n > 0) {
    problems.push(
      `scan runs: ${stale.n} hidden span(s) of ${stale.files} file(s) from scans begun before the longest possible scan (${LONGEST_SCAN_MS / 3600000} h), original values included: left by scans that died; the worker removes them at its next start`,
    );
  }
  if (unwiped > 0) problems.push(`pii_spans: ${unwiped} original value(s) kept for finalized files`);
  return problems;
}

async function checkStoredFile(blobs: BlobStore, file: StoredFileRef): Promise<string | null> {
  const hash = createHash('sha256');
  let size = 0;
  try {
    for await (const chunk of blobs.openRead(file.path)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return `${file.path} is missing`;
    if (err instanceof BlobIntegrityError) return `${file.path} fails authentication: ${err.message}`;
    throw err;
  }
  const sha256 = hash.digest('hex');
  if (file.sha256 !== null && file.sha256 !== sha256) return `${file.path} does not hash to the recorded SHA-256`;
  if (file.size !== null && file.size !== size) return `${file.path} holds ${size} bytes, the row says ${file.size}`;
  return null;
}
