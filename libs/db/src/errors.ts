/** Every failure of the database layer that an operator or a caller must act on carries a stable code. */
export type DatabaseErrorCode =
  | 'DATABASE_KEY_INVALID'
  | 'DATABASE_KEY_MISSING'
  | 'DATABASE_NOT_ENCRYPTED'
  | 'DATABASE_CORRUPT'
  | 'MIGRATION_FAILED'
  | 'MIGRATION_MISSING'
  | 'MIGRATION_CHANGED'
  | 'ENTITY_NOT_FOUND';

export class DatabaseError extends Error {
  constructor(
    readonly code: DatabaseErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DatabaseError';
  }
}

export const WRONG_KEY_MESSAGE = 'database key is wrong, or the file is not a TFTSR database';

const codeOf = (err: unknown): string => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
};

/**
 * SQLITE_BUSY or one of its extended codes (`SQLITE_BUSY_RECOVERY`, `_SNAPSHOT`, `_TIMEOUT`): better-sqlite3 reports
 * the extended code, and each means the same to a caller: another connection had the lock, nothing was written,
 * the same statement may succeed later.
 */
export function isSqliteBusy(err: unknown): boolean {
  const code = codeOf(err);
  return code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_');
}

/** SQLITE_LOCKED or one of its extended codes: a lock held by this process's own connections or a shared cache. */
export function isSqliteLocked(err: unknown): boolean {
  const code = codeOf(err);
  return code === 'SQLITE_LOCKED' || code.startsWith('SQLITE_LOCKED_');
}
