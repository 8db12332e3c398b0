import { createReadStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BaseConfig } from '@tftsr/config';
import {
  copyBackupInto,
  createBackup,
  DatabaseError,
  deriveKey,
  fsyncFile,
  hasTable,
  openDatabase,
  readManifest,
  removeAbandoned,
  RepositorySet,
  ServiceStateRepository,
  setBusyTimeout,
  transaction,
} from '@tftsr/db';
import type { BlobStore } from '@tftsr/storage';
import { closeBlobStore, openBlobStore } from '@tftsr/storage';
import type { CliIo } from '../cli-io';
import { CliError, timed } from '../cli-io';
import { backupPath, leaveWal } from './db-maintenance';
import { verifyDataDir } from './verify-data';

/** `tftsr db backup DEST`: online; the API and the worker keep running. */
export async function backupCommand(config: BaseConfig, dest: string, io: CliIo): Promise<number> {
  if (!existsSync(config.databasePath)) throw new CliError(`there is no database at ${config.databasePath}`);
  const db = openDatabase({ path: config.databasePath, key: config.databaseKey, busyTimeoutMs: config.TFTSR_DB_BUSY_TIMEOUT_MS });
  const blobs = configuredStore(config);
  let result: Awaited<ReturnType<typeof createBackup>>;
  try {
    result = await timed(io, 'backup written', () => createBackup({ db, dataDir: config.dataDir, blobs, key: config.databaseKey, dest }));
  } finally {
    closeBlobStore(blobs);
    db.close();
  }
  const { manifest } = result;
  const bytes = manifest.blobs.reduce((sum, b) => sum + b.size, 0);
  io.out(`backup written to ${resolve(dest)}`);
  io.out(
    `database: ${mib(manifest.database.size)}, schema ${manifest.schema_version ?? 'empty'}, ${manifest.encrypted ? 'encrypted (SQLCipher 4, same key)' : 'NOT encrypted'}`,
  );
  io.out(
    `stored files: ${manifest.blobs.length} (${mib(bytes)}, still encrypted), open log chunks: ${manifest.chunk_files?.length ?? 0}${result.rounds > 1 ? `; ${result.rounds} snapshots, files were deleted meanwhile` : ''}`,
  );
  if (!manifest.encrypted) io.err('this backup is NOT encrypted: the database has no TFTSR_DB_KEY (development only)');
  if (manifest.external_files > 0)
    io.err(`${manifest.external_files} row(s) point at files outside the blob store (desktop-app paths): not copied`);
  if (manifest.missing_blobs.length > 0) {
    io.err(
      `${manifest.missing_blobs.length} stored file(s) the database points at are missing from ${config.blobStorage.kind === 's3' ? blobs.location : config.dataDir}: listed in the manifest as missing_blobs`,
    );
    return 1;
  }
  return 0;
}

/**
 * `tftsr db restore SRC [--force]`: checks the backup against its manifest, copies it beside the data, verifies
 * the copy (integrity, pages, audit chain, every file's hash), and only then swaps it in. What was there is
 * moved aside, never deleted.
 */
export async function restoreCommand(config: BaseConfig, src: string, force: boolean, io: CliIo): Promise<number> {
  const manifest = (() => {
    try {
      return readManifest(src);
    } catch (err) {
      throw new CliError((err as Error).message);
    }
  })();
  if (manifest.encrypted !== (config.databaseKey !== null)) {
    throw new CliError(
      manifest.encrypted
        ? 'the backup is encrypted: set TFTSR_DB_KEY to the key it was made with'
        : 'the backup is a plain (development) database; unset TFTSR_DB_KEY to restore it',
    );
  }
  const dataDir = config.dataDir;
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // In a bucket, the restored blobs are added beside what is there (names are unique): nothing is overwritten or deleted.
  const bucket = config.blobStorage.kind === 's3' ? configuredStore(config) : null;
  const staging = join(dataDir, `.restore-${process.pid}`);
  try {
    const occupied = existsSync(config.databasePath) || (bucket ? await holdsAny(bucket) : holdsStoredFiles(dataDir));
    if (occupied && !force) {
      const where = bucket ? `${dataDir} or ${bucket.location}` : dataDir;
      throw new CliError(
        `${where} already holds a database or stored files; pass --force to replace them (they are moved aside, not deleted)`,
      );
    }
    assertNotInUse(config, io);
    removeAbandoned(dataDir, '.restore-');
    rmSync(staging, { recursive: true, force: true });
    await timed(io, 'backup copied and checked against its manifest', () => copyBackupInto(src, manifest, staging));
    if (bucket) {
      // Each object is verified as it is stored (size and MD5), and the verification below reads them all back.
      await timed(io, `${manifest.blobs.length} stored file(s) copied to ${bucket.location}`, async () => {
        for (const file of manifest.blobs) await bucket.putStored(file.path, createReadStream(join(staging, file.path)));
      });
    }
    const generation = startNewGeneration(staging, config.databaseKey, manifest.created_at);
    if (generation)
      io.out(
        `new restore generation ${generation}: no job Redis remembers from before the restore can stand in for one of the restored database`,
      );
    const verified = await timed(io, 'restored copy verified', () => verifyStaged(staging, config.databaseKey, bucket ?? undefined));
    verified.lines.forEach((line) => io.out(line));
    if (verified.problems.length > 0)
      throw new CliError(`the backup does not verify (${verified.problems.length} problem(s)); nothing was changed`);
    // Again, right before the swap: the service may have been started while the copy was checked.
    assertNotInUse(config, io);
    const aside = swapIn(dataDir, staging, bucket === null);
    io.out(`restored ${resolve(src)} (made ${manifest.created_at}, schema ${manifest.schema_version}) into ${dataDir}`);
    if (aside) io.out(`the previous database and stored files were moved to ${aside}; delete them once you are satisfied`);
    io.err('start the API and the worker: pending migrations run at start, and the outbox re-sends any job Redis does not hold');
    return 0;
  } finally {
    if (bucket) closeBlobStore(bucket);
    rmSync(staging, { recursive: true, force: true });
  }
}

/** `tftsr db verify`: the restore's checks, on the configured data directory. */
export async function verifyCommand(config: BaseConfig, io: CliIo): Promise<number> {
  if (!existsSync(config.databasePath)) throw new CliError(`there is no database at ${config.databasePath}`);
  const blobs = configuredStore(config);
  try {
    const verified = await timed(io, 'verified', () => verifyDataDir(config.dataDir, config.databaseKey, blobs));
    verified.lines.forEach((line) => io.out(line));
    return verified.problems.length ? 1 : 0;
  } finally {
    closeBlobStore(blobs);
  }
}

function configuredStore(config: BaseConfig): BlobStore {
  return openBlobStore(config.blobStorage, config.dataDir, deriveKey(config.databaseKey, 'blob-encryption'));
}

async function holdsAny(blobs: BlobStore): Promise<boolean> {
  for await (const blob of blobs.listStored()) if (blob) return true;
  return false;
}

/**
 * Gives the restored copy a new restore generation (part of every outbox job id), with its audit entry: Redis
 * may still hold the old jobs of these very outbox rows, completed, and must not be believed about them. A
 * backup older than the generation (migration 027) gets one from that migration at the first start.
 */
function startNewGeneration(staging: string, key: string | null, createdAt: string): string | null {
  let db;
  try {
    db = openDatabase({ path: join(staging, 'tftsr.db'), key });
  } catch {
    return null; // verifyStaged says why it does not open
  }
  try {
    if (!hasTable(db, 'service_state')) return null;
    const repositories = new RepositorySet(db, key);
    const audit = repositories.audit();
    return transaction(db, () => {
      const generation = repositories.get(ServiceStateRepository).newRestoreGeneration();
      audit.append({
        action: 'db_restore',
        entity_type: 'database',
        entity_id: 'tftsr.db',
        details: { backup_created_at: createdAt, restore_generation: generation },
      });
      return generation;
    });
  } finally {
    db.close();
  }
}

async function verifyStaged(staging: string, key: string | null, blobs?: BlobStore) {
  try {
    return await verifyDataDir(staging, key, blobs);
  } catch (err) {
    if (err instanceof DatabaseError && err.code === 'DATABASE_KEY_INVALID') {
      throw new CliError(
        'the backup does not open with TFTSR_DB_KEY: it was made under another key (before a rekey?); restore with that key, then rekey',
      );
    }
    throw err;
  }
}

/**
 * Refuses while the API or the worker has the database open. Leaving WAL mode needs the file to ourselves, as
 * for `rekey`; the database is about to be replaced, so leaving its mode changed costs nothing. A database that
 * does not open with the configured key cannot be asked: say so, and rely on the operator.
 */
function assertNotInUse(config: BaseConfig, io: CliIo): void {
  if (!existsSync(config.databasePath)) return;
  let db;
  try {
    db = openDatabase({ path: config.databasePath, key: config.databaseKey });
  } catch (err) {
    if (!(err instanceof DatabaseError)) throw err;
    io.err(`cannot tell whether the service is running (${err.message}): make sure the API and the worker are stopped`);
    return;
  }
  try {
    setBusyTimeout(db, 200);
    leaveWal(db);
  } catch (err) {
    if (err instanceof CliError) throw new CliError(`refusing to restore: ${err.message}`);
    throw new CliError(`refusing to restore: the database is in use (${(err as Error).message}); stop the API and the worker first`);
  } finally {
    db.close();
  }
}

function holdsStoredFiles(dataDir: string): boolean {
  const blobs = join(dataDir, 'blobs');
  return existsSync(blobs) && readdirSync(blobs).some((name) => name !== 'tmp');
}

/**
 * Moves the current files aside (if any) and the staged ones into place: renames within one filesystem. With
 * a bucket (`withBlobs` false) only the database moves: the blobs are already in the bucket.
 */
function swapIn(dataDir: string, staging: string, withBlobs: boolean): string | null {
  const aside = backupPath(join(dataDir, 'pre-restore'), 'data');
  let moved = false;
  // Open chunks' append files are local whatever the blob store: they go with the database they are committed in.
  for (const name of ['tftsr.db', 'tftsr.db-wal', 'tftsr.db-shm', 'chunks', ...(withBlobs ? ['blobs'] : [])]) {
    if (!existsSync(join(dataDir, name))) continue;
    mkdirSync(aside, { recursive: true, mode: 0o700 });
    renameSync(join(dataDir, name), join(aside, name));
    moved = true;
  }
  renameSync(join(staging, 'tftsr.db'), join(dataDir, 'tftsr.db'));
  if (withBlobs && existsSync(join(staging, 'blobs'))) renameSync(join(staging, 'blobs'), join(dataDir, 'blobs'));
  if (existsSync(join(staging, 'chunks'))) renameSync(join(staging, 'chunks'), join(dataDir, 'chunks'));
  fsyncFile(dataDir);
  return moved ? aside : null;
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
