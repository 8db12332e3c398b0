import type { Db } from '../../../libs/db/src';
import type { CustomRule, PiiConfig } from '../../../libs/pii/src';
import { CustomRuleError, enabledTypesFromStored, PII_TYPE_ORDER, parseCustomRules } from '../../../libs/pii/src';

/**
 * The PII settings in force, read fresh for each scan. The API validates what it stores; this reader still
 * falls back to the safe default (every type, no allow-list) for a value it cannot use, never to less.
 */
export function readPiiConfig(db: Db): PiiConfig {
  const read = (key: string): unknown => {
    const row = db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    if (!row) return undefined;
    try {
      return JSON.parse(row.value);
    } catch {
      return undefined;
    }
  };
  const types = read('pii.enabled_types');
  const allow = read('pii.allow_list');
  // Stored as the types turned off (libs/pii/src/enabled-types.ts): a type added since is on.
  const enabledTypes = enabledTypesFromStored(types) ?? [...PII_TYPE_ORDER];
  const allowList = Array.isArray(allow) ? allow.filter((v): v is string => typeof v === 'string') : [];
  return { enabledTypes: enabledTypes, allowList, customRules: customRulesOf(read('pii.custom_rules')) };
}

/** The API refuses bad rules; a bad stored one is skipped rather than failing every scan, the others still run. */
function customRulesOf(value: unknown): CustomRule[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((rule: unknown) => {
    try {
      return parseCustomRules([rule]);
    } catch (err) {
      if (err instanceof CustomRuleError) return [];
      throw err;
    }
  });
}

export interface RedactionSettings {
  replacementStyle: 'type' | 'pseudonym';
  wipeOriginalBlob: boolean;
  finalizeAfterDays: number;
}

/** The redaction settings (issue 12), with the registry's defaults for anything missing or unusable. */
export function readRedactionSettings(db: Db): RedactionSettings {
  const read = (key: string): unknown => {
    const row = db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    try {
      return row ? JSON.parse(row.value) : undefined;
    } catch {
      return undefined;
    }
  };
  const style = read('pii.replacement_style');
  const wipe = read('pii.wipe_original_blob');
  const days = read('pii.finalize_after_days');
  return {
    replacementStyle: style === 'pseudonym' ? 'pseudonym' : 'type',
    wipeOriginalBlob: wipe === true,
    finalizeAfterDays: typeof days === 'number' && Number.isInteger(days) && days >= 0 ? days : 30,
  };
}
