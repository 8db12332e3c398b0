import { Injectable } from '@nestjs/common';
import { PII_TYPE_ORDER, PiiConfig, PiiType, redactBuffer, scanBuffer } from '../../../../libs/pii/src';
import { SettingsService } from './settings.service';

export interface Redaction {
  text: string;
  /** The types that were replaced, in the engine's order, each once. */
  types: PiiType[];
}

/**
 * Redacts free text before it is stored or sent, with the PII settings in force (enabled types and
 * allow-list), over libs/pii.
 */
@Injectable()
export class TextRedactor {
  constructor(private readonly settings: SettingsService) {}

  config(): PiiConfig {
    return {
      enabledTypes: this.settings.value('pii.enabled_types'),
      allowList: this.settings.value('pii.allow_list'),
      customRules: this.settings.value('pii.custom_rules'),
    };
  }

  redact(text: string, config: PiiConfig = this.config()): Redaction {
    const bytes = Buffer.from(text, 'utf8');
    const spans = scanBuffer(bytes, config);
    if (spans.length === 0) return { text, types: [] };
    const found = new Set(spans.map((s) => s.pii_type));
    return { text: redactBuffer(bytes, spans).toString('utf8'), types: PII_TYPE_ORDER.filter((t) => found.has(t)) };
  }

  /** Redacts several fields with one read of the settings; null and undefined pass through. */
  redactFields<T extends Record<string, string | null | undefined>>(fields: T): { fields: T; types: PiiType[] } {
    const config = this.config();
    const found = new Set<PiiType>();
    const out: Record<string, string | null | undefined> = {};
    for (const [name, value] of Object.entries(fields)) {
      if (typeof value !== 'string') {
        out[name] = value;
        continue;
      }
      const redaction = this.redact(value, config);
      redaction.types.forEach((t) => found.add(t));
      out[name] = redaction.text;
    }
    return { fields: out as T, types: PII_TYPE_ORDER.filter((t) => found.has(t)) };
  }

  /** The types whose replacement (`[Email]`, …) appears in already-redacted text. */
  markersIn(text: string): PiiType[] {
    return PII_TYPE_ORDER.filter((t) => text.includes(`[${t}]`));
  }
}
