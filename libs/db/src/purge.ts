import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from './database';
import { transaction } from './database';
import type { AuditLogRepository } from './repositories/audit-log.repository';
import { IssueRepository } from './repositories/issue.repository';
import { listChunkFiles, listStoredFiles } from './backup';

export interface PurgeCandidate {
  id: string;
  updated_at: string;
}

/** Issues whose last change is before `cutoff` (the seed's TEXT timestamp, UTC), oldest first. */
export function listIssuesUnchangedSince(db: Db, cutoff: string): PurgeCandidate[] {
  return db.prepare(`SELECT id, updated_at FROM issues WHERE updated_at < ? ORDER BY updated_at, id`).all(cutoff) as PurgeCandidate[];
}

export interface PurgedIssue {
  id: string;
  /** The files its rows pointed at; remove them only after the commit (see `removeStoredFiles`). */
  paths: string[];
  /** Its open chunks' append files (`chunks/<id>.open`, under the data directory); also after the commit. */
  chunkFiles: string[];
}

/**
 * Deletes one issue (the cascade takes its children) and writes its audit entry, in one transaction. It checks
 * again inside the transaction: an issue changed since it was listed is no longer old, and is kept.
 */
export function purgeIssue(db: Db, audit: AuditLogRepository, id: string, cutoff: string, olderThanDays: number): PurgedIssue | null {
  const issues = new IssueRepository(db);
  return transaction(db, () => {
    const issue = issues.findById(id);
    if (!issue || !(issue.updated_at < cutoff)) return null;
    const children = issues.countChildren(id);
    const paths = issues.listStoredFilePaths(id);
    const chunkFiles = (
      db
        .prepare(
          `SELECT c.id FROM log_stream_chunks c JOIN log_streams s ON s.id = c.stream_id WHERE s.issue_id = ? AND c.file_bytes IS NOT NULL`,
        )
        .all(id) as { id: string }[]
    ).map((c) => `chunks/${c.id}.open`);
    issues.delete(id);
    audit.append({
      action: 'purge_issue',
      entity_type: 'issue',
      entity_id: id,
      details: { older_than_days: olderThanDays, updated_at: issue.updated_at, children, stored_files: paths.length },
    });
    return { id, paths, chunkFiles };
  });
}

const CHUNK_FILE = /^chunks\/[A-Za-z0-9_-]+\.open$/;

/** Removes open chunks' append files (relative to `dataDir`) whose rows are gone; one already gone is fine. */
export function removeChunkFiles(dataDir: string, paths: string[]): number {
  let removed = 0;
  for (const path of paths) {
    if (!CHUNK_FILE.test(path)) continue;
    rmSync(join(dataDir, path), { force: true });
    removed += 1;
  }
  return removed;
}

/**
 * Append files of chunks that are no longer open or closing (a crash after a close's commit, an issue deleted),
 * older than `minAgeMs` (a young one may belong to a first append not yet committed); removed unless `dryRun`.
 */
export function sweepOrphanChunkFiles(db: Db, dataDir: string, options: { minAgeMs: number; dryRun: boolean; now?: number }): string[] {
  const before = (options.now ?? Date.now()) - options.minAgeMs;
  const dir = join(dataDir, 'chunks');
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const old = names
    .map((name) => `chunks/${name}`)
    .filter((path) => CHUNK_FILE.test(path) && (statSync(join(dataDir, path), { throwIfNoEntry: false })?.mtimeMs ?? Infinity) < before);
  const live = new Set(listChunkFiles(db).map((f) => f.path));
  const orphans = old.filter((path) => !live.has(path));
  if (!options.dryRun) removeChunkFiles(dataDir, orphans);
  return orphans;
}

/** What purges and sweeps need of a blob store (libs/storage's BlobStore, filesystem or bucket). */
export interface StoredBlobObjects {
  /** A blob already gone is fine. */
  remove(path: string): Promise<void>;
  listStored(): AsyncIterable<{ path: string; modifiedMs: number }>;
  listTemporary(): AsyncIterable<{ path: string; modifiedMs: number }>;
}

/** A blob's stored name (`blobs/<shard>/<name>`): desktop-app rows hold the user's own paths instead. */
const STORED_BLOB = /^blobs\/(?:[^/.][^/]*\/)*[^/.][^/]*$/;

/**
 * Removes files whose rows are gone. Only blobs are touched: desktop-app rows hold the user's own paths, which
 * are never ours to delete. A file already gone is fine.
 */
export async function removeStoredFiles(blobs: Pick<StoredBlobObjects, 'remove'>, paths: string[]): Promise<number> {
  let removed = 0;
  for (const path of paths) {
    if (!STORED_BLOB.test(path)) continue;
    await blobs.remove(path);
    removed += 1;
  }
  return removed;
}

export interface OrphanSweep {
  /** Blob files no row points at, older than the minimum age. */
  orphans: string[];
  /** Leftovers of interrupted uploads in blobs/tmp, older than the minimum age. */
  temporary: string[];
  removed: boolean;
}

/**
 * Finds (and unless `dryRun` removes) stored files that no row points at: what a crash between a deletion's
 * commit and its file removal leaves behind. An upload writes its file before its row, so a young file without
 * a row may be an upload in flight: only files older than `minAgeMs` count. The files are listed before the
 * rows are read, so a row committed meanwhile is seen.
 */
export async function sweepOrphanFiles(
  db: Db,
  blobs: StoredBlobObjects,
  options: { minAgeMs: number; dryRun: boolean; now?: number },
): Promise<OrphanSweep> {
  const before = (options.now ?? Date.now()) - options.minAgeMs;
  const stored: string[] = [];
  const temporary: string[] = [];
  for await (const blob of blobs.listStored()) if (blob.modifiedMs < before && blob.path.endsWith('.blob')) stored.push(blob.path);
  for await (const blob of blobs.listTemporary()) if (blob.modifiedMs < before) temporary.push(blob.path);
  const referenced = new Set(listStoredFiles(db).map((f) => f.path));
  const orphans = stored.filter((path) => !referenced.has(path));
  if (!options.dryRun) await removeStoredFiles(blobs, [...orphans, ...temporary]);
  return { orphans, temporary, removed: !options.dryRun };
}
