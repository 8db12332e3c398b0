import type { SettingRepository } from '../../../../libs/db/src';

/**
 * A setting's stored JSON value, or the fallback when unset or unreadable. The API validates what it stores;
 * callers still treat an unexpected shape as the safe default.
 */
export function readSetting<T>(settings: SettingRepository, key: string, fallback: T): T {
  const row = settings.findByKey(key);
  if (!row) return fallback;
  try {
    const value = JSON.parse(row.value) as unknown;
    return value === null || typeof value !== typeof fallback || Array.isArray(value) !== Array.isArray(fallback) ? fallback : (value as T);
  } catch {
    return fallback;
  }
}
