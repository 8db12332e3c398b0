import { CustomRuleError, parseCustomRules } from './custom-rules';
import type { CustomRule } from './custom-rules';
import { enabledTypesFromStored } from './enabled-types';
import { PII_TYPE_ORDER } from './pii-types';
import type { PiiConfig, PiiType } from './pii-types';

/** Where the settings are read from: libs/db's SettingRepository fits, so this library stays free of the database. */
export interface StoredSettings {
  findByKey(key: string): { value: string } | undefined;
}

export type ReplacementStyle = 'type' | 'pseudonym';

/** The PII settings' defaults, for both apps: the API's registry shows them, and both readers below fall back to them. */
export const PII_SETTING_DEFAULTS: {
  readonly 'pii.enabled_types': readonly PiiType[];
  readonly 'pii.allow_list': readonly string[];
  readonly 'pii.custom_rules': readonly Required<CustomRule>[];
  readonly 'pii.replacement_style': ReplacementStyle;
  readonly 'pii.finalize_after_days': number;
  readonly 'pii.wipe_original_blob': boolean;
} = {
  'pii.enabled_types': PII_TYPE_ORDER,
  'pii.allow_list': [],
  'pii.custom_rules': [],
  'pii.replacement_style': 'type',
  'pii.finalize_after_days': 30,
  'pii.wipe_original_blob': false,
};

/** A setting's stored JSON, or undefined when it is unset or not JSON. */
function storedValue(settings: StoredSettings, key: string): unknown {
  const row = settings.findByKey(key);
  if (!row) return undefined;
  try {
    return JSON.parse(row.value);
  } catch {
    return undefined;
  }
}

/**
 * The PII settings in force, read fresh by each caller. The API validates what it stores; this reader still
 * falls back to the safe default (every type, no allow-list) for a value it cannot use, never to less.
 */
export function readPiiConfig(settings: StoredSettings): PiiConfig {
  const types = storedValue(settings, 'pii.enabled_types');
  const allow = storedValue(settings, 'pii.allow_list');
  // Stored as the types turned off (enabled-types.ts): a type added since is on.
  const enabledTypes = enabledTypesFromStored(types) ?? [...PII_SETTING_DEFAULTS['pii.enabled_types']];
  const allowList = Array.isArray(allow)
    ? allow.filter((v): v is string => typeof v === 'string')
    : [...PII_SETTING_DEFAULTS['pii.allow_list']];
  return { enabledTypes, allowList, customRules: customRulesOf(storedValue(settings, 'pii.custom_rules')) };
}

/** The API refuses bad rules; a bad stored one is skipped rather than failing every scan, the others still run. */
function customRulesOf(value: unknown): CustomRule[] {
  if (!Array.isArray(value)) return [...PII_SETTING_DEFAULTS['pii.custom_rules']];
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
  replacementStyle: ReplacementStyle;
  wipeOriginalBlob: boolean;
  finalizeAfterDays: number;
}

/** The redaction settings (issue 12), with the defaults for anything missing or unusable. */
export function readRedactionSettings(settings: StoredSettings): RedactionSettings {
  const style = storedValue(settings, 'pii.replacement_style');
  const wipe = storedValue(settings, 'pii.wipe_original_blob');
  const days = storedValue(settings, 'pii.finalize_after_days');
  return {
    replacementStyle: style === 'pseudonym' || style === 'type' ? style : PII_SETTING_DEFAULTS['pii.replacement_style'],
    wipeOriginalBlob: typeof wipe === 'boolean' ? wipe : PII_SETTING_DEFAULTS['pii.wipe_original_blob'],
    finalizeAfterDays:
      typeof days === 'number' && Number.isInteger(days) && days >= 0 ? days : PII_SETTING_DEFAULTS['pii.finalize_after_days'],
  };
}
