import type { Db } from '../../../../libs/db/src';

/**
 * A setting's stored JSON value, or the fallback when unset or unreadable. The API validates what it stores;
 * callers still treat an unexpected shape as the safe default.
 */
export function readSetting<T>(db: Db, key: string, fallback: T): T {
  const row = db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
  if (!row) return fallback;
  try {
    const value = JSON.parse(row.value) as unknown;
    return value === null || typeof value !== typeof fallback || Array.isArray(value) !== Array.isArray(fallback) ? fallback : (value as T);
  } catch {
    return fallback;
  }
}
