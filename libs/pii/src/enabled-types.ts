import type { PiiType } from './pii-types';
import { PII_TYPE_ORDER } from './pii-types';

/**
 * How `pii.enabled_types` is stored (the settings API still reads and writes the list of enabled types): as the
 * types it turns off, `{"disabled": [...]}`. A type a later release adds is in no stored set, so it is on until
 * someone turns it off: redact by default.
 */
export interface StoredEnabledTypes {
  disabled: PiiType[];
}

/**
 * The types a bare list (how the setting was stored before `{"disabled"}`) was chosen from: every type up to
 * issue 12, before DateOfBirth and Custom. Types outside it are on whatever the list says.
 */
export const TYPES_OF_BARE_LISTS: readonly PiiType[] = PII_TYPE_ORDER.filter((t) => t !== 'DateOfBirth' && t !== 'Custom');

export function toStoredEnabledTypes(enabled: readonly PiiType[]): StoredEnabledTypes {
  return { disabled: PII_TYPE_ORDER.filter((t) => !enabled.includes(t)) };
}

/**
 * The enabled types, in the engine's order, from a stored value: `{"disabled"}`, or a bare list of enabled types
 * saved by an older release. Undefined for anything else (the caller falls back to every type). Names this
 * release does not know are ignored.
 */
export function enabledTypesFromStored(stored: unknown): PiiType[] | undefined {
  if (Array.isArray(stored)) return PII_TYPE_ORDER.filter((t) => stored.includes(t) || !TYPES_OF_BARE_LISTS.includes(t));
  if (typeof stored !== 'object' || stored === null) return undefined;
  const { disabled } = stored as { disabled?: unknown };
  if (!Array.isArray(disabled) || !disabled.every((t) => typeof t === 'string')) return undefined;
  return PII_TYPE_ORDER.filter((t) => !disabled.includes(t));
}
