import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, readdirSync } from 'node:fs';
import { join, sep } from 'node:path';

/** Everything under the data directory is the service's alone: files 0600, directories 0700, whatever the umask. */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/**
 * Creates the directory (and missing parents) 0700. A mode given to mkdir is only ever narrowed by the umask, so
 * it holds whatever the umask is; a directory that already exists keeps its mode (startup warns about it).
 */
export function makePrivateDir(path: string): void {
  const created = mkdirSync(path, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (created === path) chmodSync(path, PRIVATE_DIR_MODE);
}

/**
 * Creates an empty file 0600 for SQLite to open (it would create it 0644 less the umask). SQLite gives a
 * database's -wal and -shm the database file's own mode, so they follow.
 */
export function createPrivateFile(path: string): void {
  closeSync(openSync(path, 'wx', PRIVATE_FILE_MODE));
}

/** Paths under `dir` that a group or others may read, write or enter (symlinks are not followed), at most `limit`. */
export function findOpenModes(dir: string, limit = 20): string[] {
  const found: string[] = [];
  const visit = (path: string) => {
    if (found.length >= limit) return;
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) return;
    if ((stat.mode & 0o077) !== 0) found.push(`${path} (${(stat.mode & 0o777).toString(8)})`);
    // Redis (started by `npm start`) writes its own files with its own umask, inside a 0700 directory.
    if (stat.isDirectory() && !(path !== dir && path.endsWith(`${sep}redis`)))
      for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(dir);
  return found;
}

/** The start-up warning: one line naming what is more open than 0600/0700, or nothing. */
export function warnAboutOpenModes(dir: string, warn: (message: string) => void): void {
  const open = findOpenModes(dir);
  if (open.length === 0) return;
  warn(
    `files or directories under the data directory are open to other users (want 0600 files, 0700 directories; fix with chmod): ${open.join(', ')}`,
  );
}
