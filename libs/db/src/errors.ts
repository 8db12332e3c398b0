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
