import { DomainError, ErrorCode } from './domain-error';

/** Cursors are opaque to clients: base64url JSON that only this service reads back. */
export function encodeCursor(value: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** Longer than any cursor this service makes. */
const MAX_CURSOR_LENGTH = 2048;

/**
 * Decodes a cursor and checks its shape with `accept`; anything else is INVALID_CURSOR. A cursor is client input:
 * `accept` must check everything its user relies on (e.g. how many sort keys it holds), not only the types.
 */
export function decodeCursor<T>(cursor: string, accept: (value: unknown) => value is T): T {
  let value: unknown;
  try {
    value = cursor.length > MAX_CURSOR_LENGTH ? undefined : JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!accept(value)) {
    throw new DomainError(ErrorCode.INVALID_CURSOR, 'cursor is not one this listing returned; start again without it');
  }
  return value;
}
