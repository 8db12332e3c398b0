import { Injectable } from '@nestjs/common';
import { exitGate, GateFinding, OutgoingField, PII_TYPE_ORDER, PiiConfig, PiiType, redactForExit } from '@tftsr/pii';
import { DomainError, ErrorCode } from '../common/domain-error';
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
    return this.settings.piiConfig();
  }

  /** Redacts what a reader would see too: entity-spelled (`jane&#64;example.com`) and escaped values (libs/pii exitGate). */
  redact(text: string, config: PiiConfig = this.config()): Redaction {
    return redactForExit(text, config);
  }

  /**
   * The exit gate for the API's exits (exports; the worker gates publishing): every field as sent, in the mode
   * of publishing.pii_gate. Returns the fields to send, or refuses with 422 PII_GATE_BLOCKED and masked findings.
   */
  gate<F extends string>(
    fields: Record<F, OutgoingField>,
    what: string,
    mode = this.settings.value('publishing.pii_gate'),
  ): { fields: Record<F, string>; types: PiiType[] } {
    const result = exitGate(fields, this.config(), mode);
    if (result.verdict === 'clean') return { fields: result.fields, types: [] };
    if (result.verdict === 'redacted') return { fields: result.fields, types: result.types };
    throw new DomainError(
      ErrorCode.PII_GATE_BLOCKED,
      `the PII gate found ${result.types.join(', ')} in the ${what}; nothing was sent. Edit it, or set publishing.pii_gate to redact`,
      { types: result.types, count: result.count, findings: result.findings.map((f: GateFinding) => ({ ...f })) },
    );
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

  /** The PII types in text fields, read as the exit gate reads them; for audits of what was stored as written. */
  typesIn(fields: Record<string, string | null | undefined>): PiiType[] {
    const present = Object.entries(fields).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1].length > 0);
    if (present.length === 0) return [];
    const result = exitGate(
      Object.fromEntries(present.map(([name, text]) => [name, { kind: 'markdown' as const, text }])),
      this.config(),
      'block',
    );
    return result.verdict === 'blocked' ? result.types : [];
  }

  /** The types whose replacement (`[Email]`, …) appears in already-redacted text. */
  markersIn(text: string): PiiType[] {
    return PII_TYPE_ORDER.filter((t) => text.includes(`[${t}]`));
  }
}
