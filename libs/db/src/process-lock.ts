import Database from 'better-sqlite3-multiple-ciphers';
import { existsSync } from 'node:fs';
import { isSqliteBusy } from './errors';
import { createPrivateFile } from './private-files';

/**
 * An exclusive lock on a file, held while this process keeps it: SQLite's own lock on that file (a POSIX record
 * lock, taken by `BEGIN EXCLUSIVE` in exclusive locking mode and never committed). The kernel drops it when the
 * process ends, however it ends (SIGKILL and OOM included), so a crash leaves nothing to clean up; processes in
 * other containers on the same volume see it. The file holds no data, is created 0600 like everything under the
 * data directory, and has no journal beside it.
 */
export class ProcessLock {
  private constructor(private db: Database.Database | null) {}

  /** The lock, or null when another process (or another connection of this one) holds it. */
  static tryAcquire(path: string): ProcessLock | null {
    if (!existsSync(path)) {
      try {
        createPrivateFile(path);
      } catch (err) {
        // Another process created it first: the lock decides, not the file.
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    const db = new Database(path, { timeout: 0 });
    try {
      db.pragma('journal_mode = MEMORY');
      db.pragma('locking_mode = EXCLUSIVE');
      db.exec('BEGIN EXCLUSIVE');
      return new ProcessLock(db);
    } catch (err) {
      db.close();
      if (isSqliteBusy(err)) return null;
      throw err;
    }
  }

  release(): void {
    this.db?.close();
    this.db = null;
  }
}
