import { createHash } from 'node:crypto';
import { maskValue, PII_TYPE_ORDER, PiiConfig, PiiType, redactBuffer, scanBuffer } from '../../../../libs/pii/src';

export type GateMode = 'block' | 'redact';

export interface GateFinding {
  pii_type: PiiType;
  field: 'title' | 'content_md';
  /** Byte offsets in the field's UTF-8. */
  start: number;
  end: number;
  /** Masked: enough for a reviewer to find it, never the value. */
  masked: string;
}

export type GateResult =
  | { verdict: 'clean'; title: string; markdown: string }
  | { verdict: 'redacted'; title: string; markdown: string; types: PiiType[]; findings: number }
  | { verdict: 'blocked'; findings: GateFinding[]; types: PiiType[] };

/** Findings listed in a failure; the count is always complete. */
const MAX_LISTED = 50;

/**
 * The last check before anything leaves: the title and body are scanned again with the PII settings in
 * force. `block` refuses with the findings (masked); `redact` returns the redacted text to send instead.
 * The desktop app sent raw issue text to every target.
 */
export function piiGate(title: string, markdown: string, config: PiiConfig, mode: GateMode): GateResult {
  const fields = { title: Buffer.from(title, 'utf8'), content_md: Buffer.from(markdown, 'utf8') };
  const spans = { title: scanBuffer(fields.title, config), content_md: scanBuffer(fields.content_md, config) };
  const all = [...spans.title, ...spans.content_md];
  if (all.length === 0) return { verdict: 'clean', title, markdown };
  const found = new Set(all.map((s) => s.pii_type));
  const types = PII_TYPE_ORDER.filter((t) => found.has(t));
  if (mode === 'redact') {
    return {
      verdict: 'redacted',
      title: redactBuffer(fields.title, spans.title).toString('utf8'),
      markdown: redactBuffer(fields.content_md, spans.content_md).toString('utf8'),
      types,
      findings: all.length,
    };
  }
  const findings = (['title', 'content_md'] as const).flatMap((field) =>
    spans[field].map((s) => ({ pii_type: s.pii_type, field, start: s.start, end: s.end, masked: maskValue(s.pii_type, s.original) })),
  );
  return { verdict: 'blocked', findings: findings.slice(0, MAX_LISTED), types };
}

/** `publications.sent_sha256`: what exactly went out, for the audit. */
export function sentHash(title: string, body: string): string {
  return createHash('sha256').update(title, 'utf8').update('\0').update(body, 'utf8').digest('hex');
}
