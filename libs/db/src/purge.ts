import { readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import type { Db} from './database';
import { transaction } from './database';
import type { AuditLogRepository } from './repositories/audit-log.repository';
import { IssueRepository } from './repositories/issue.repository';
import { listStoredFiles } from './backup';

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
    issues.delete(id);
    audit.append({
      action: 'purge_issue',
      entity_type: 'issue',
      entity_id: id,
      details: { older_than_days: olderThanDays, updated_at: issue.updated_at, children, stored_files: paths.length },
    });
    return { id, paths };
  });
}

/**
 * Removes files whose rows are gone. Only files inside {data_dir}/blobs are touched: desktop-app rows hold the
 * user's own paths, which are never ours to delete. A file already gone is fine.
 */
export function removeStoredFiles(dataDir: string, paths: string[]): number {
  const root = resolve(dataDir, 'blobs');
  let removed = 0;
  for (const path of paths) {
    const full = resolve(dataDir, path);
    if (!full.startsWith(root + sep)) continue;
    rmSync(full, { force: true });
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
export function sweepOrphanFiles(db: Db, dataDir: string, options: { minAgeMs: number; dryRun: boolean; now?: number }): OrphanSweep {
  const root = resolve(dataDir, 'blobs');
  const before = (options.now ?? Date.now()) - options.minAgeMs;
  const old = (path: string) => statSync(path).mtimeMs < before;
  const onDisk: string[] = [];
  const temporary: string[] = [];
  for (const shard of safeReaddir(root)) {
    const dir = join(root, shard);
    if (shard === 'tmp') {
      for (const name of safeReaddir(dir)) if (old(join(dir, name))) temporary.push(`blobs/tmp/${name}`);
      continue;
    }
    if (!/^[0-9a-f]{2}$/.test(shard)) continue;
    for (const name of safeReaddir(dir)) {
      if (name.endsWith('.blob') && old(join(dir, name))) onDisk.push(`blobs/${shard}/${name}`);
    }
  }
  const referenced = new Set(listStoredFiles(db).map((f) => f.path));
  const orphans = onDisk.filter((path) => !referenced.has(path));
  if (!options.dryRun) removeStoredFiles(dataDir, [...orphans, ...temporary]);
  return { orphans, temporary, removed: !options.dryRun };
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw err;
  }
}
