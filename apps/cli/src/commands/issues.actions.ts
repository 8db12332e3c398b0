import 'reflect-metadata';
import { existsSync } from 'node:fs';
import type { Env } from '@tftsr/config';
import { BaseConfig, loadConfig } from '@tftsr/config';
import {
  deriveKey,
  listIssuesUnchangedSince,
  loadMigrations,
  migrationStatus,
  openDatabase,
  purgeIssue,
  removeChunkFiles,
  removeStoredFiles,
  RepositorySet,
  sweepOrphanChunkFiles,
  sweepOrphanFiles,
  toDbTimestamp,
} from '@tftsr/db';
import { closeBlobStore, openBlobStore } from '@tftsr/storage';
import type { CliIo } from '../cli-io';
import { CliError, timed } from '../cli-io';

/** Orphans younger than this may be uploads whose row is not committed yet: files are written first. */
const ORPHAN_MIN_AGE_MS = 3600_000;

/** `tftsr issues purge`, loaded only when it runs (see issues.command.ts). */
export function purgeIssues(env: Env, olderThan: string, dryRun: boolean, io: CliIo): Promise<number> {
  return purge(loadConfig(BaseConfig, env), olderThan, dryRun, io);
}

async function purge(config: BaseConfig, olderThan: string, dryRun: boolean, io: CliIo): Promise<number> {
  const days = Number(olderThan);
  if (!Number.isInteger(days) || days < 1) throw new CliError('give --older-than DAYS, a whole number of days, at least 1', 2);
  if (!existsSync(config.databasePath)) throw new CliError(`there is no database at ${config.databasePath}`);
  const db = openDatabase({ path: config.databasePath, key: config.databaseKey, busyTimeoutMs: config.TFTSR_DB_BUSY_TIMEOUT_MS });
  const blobs = openBlobStore(config.blobStorage, config.dataDir, deriveKey(config.databaseKey, 'blob-encryption'));
  try {
    const { pending } = migrationStatus(db, loadMigrations());
    if (pending.length)
      throw new CliError(`the database has ${pending.length} pending migration(s): run \`tftsr db migrate\` (or start the service) first`);
    const cutoff = toDbTimestamp(new Date(Date.now() - days * 86_400_000));
    const candidates = listIssuesUnchangedSince(db, cutoff);
    io.err(`${candidates.length} issue(s) not changed since ${cutoff} UTC${dryRun ? ' (dry run: nothing is changed)' : ''}`);
    let purged = 0;
    let files = 0;
    if (dryRun) {
      candidates.forEach((c) => io.out(`would purge ${c.id} (last changed ${c.updated_at})`));
    } else {
      const audit = new RepositorySet(db, config.databaseKey).audit();
      await timed(io, 'purge finished', async () => {
        for (const candidate of candidates) {
          // One transaction per issue keeps each write lock short: the API and the worker carry on meanwhile.
          const done = purgeIssue(db, audit, candidate.id, cutoff, days);
          if (!done) continue;
          // Only after the commit: a crash here leaves orphan files (swept below, next time), never a row without its file.
          files += await removeStoredFiles(blobs, done.paths);
          files += removeChunkFiles(config.dataDir, done.chunkFiles);
          purged += 1;
          io.out(`purged ${done.id} (last changed ${candidate.updated_at}, ${done.paths.length} stored file(s))`);
        }
      });
    }
    const sweep = await sweepOrphanFiles(db, blobs, { minAgeMs: ORPHAN_MIN_AGE_MS, dryRun });
    const chunkOrphans = sweepOrphanChunkFiles(db, config.dataDir, { minAgeMs: ORPHAN_MIN_AGE_MS, dryRun });
    const orphans = sweep.orphans.length + sweep.temporary.length + chunkOrphans.length;
    io.out(
      dryRun
        ? `would purge ${candidates.length} issue(s); would remove ${orphans} orphan file(s)`
        : `purged ${purged} issue(s) and ${files} stored file(s); removed ${orphans} orphan file(s)`,
    );
    return 0;
  } finally {
    closeBlobStore(blobs);
    db.close();
  }
}
