import { decode } from 'html-entities';
import { maskValue } from './mask';
import { mergeHits } from './merger';
import { PII_TYPE_ORDER, type PiiConfig, type PiiType } from './pii-types';
import { redactBuffer } from './redactor';
import { scanBuffer } from './scanner';

/**
 * How a field is read by whoever receives it: `text` as is, `markdown` rendered (entities decoded, backslash
 * escapes dropped), `html` rendered (entities decoded, tags gone).
 */
export type FieldKind = 'text' | 'markdown' | 'html';

export interface OutgoingField {
  kind: FieldKind;
  text: string;
}

export type GateMode = 'block' | 'redact';

export interface GateFinding {
  pii_type: PiiType;
  field: string;
  /** Byte offsets in the field's UTF-8 as sent (an entity-spelled value covers its entities). */
  start: number;
  end: number;
  /** Masked: enough for a reviewer to find it, never the value. */
  masked: string;
}

export type GateResult<F extends string> =
  | { verdict: 'clean'; fields: Record<F, string> }
  | { verdict: 'redacted'; fields: Record<F, string>; types: PiiType[]; findings: GateFinding[]; count: number }
  | { verdict: 'blocked'; types: PiiType[]; findings: GateFinding[]; count: number };

/** Findings listed in a refusal; the count is always complete. */
const MAX_LISTED = 50;

/** A view of a field: its bytes as a receiver reads them, each byte mapped back to the range it came from. */
interface View {
  bytes: Buffer;
  from: Int32Array;
  to: Int32Array;
}

const ENTITY_RE = /&(?:#[0-9]{1,8};?|#[xX][0-9a-fA-F]{1,8};?|[A-Za-z][A-Za-z0-9]{1,31};?)/y;
const TAG_RE = /<\/?([A-Za-z][A-Za-z0-9]*)(?:[^<>"']|"[^"]*"|'[^']*')*>|<!--[\s\S]*?-->/y;
const INLINE_TAGS = new Set(['a', 'abbr', 'b', 'code', 'del', 'em', 'i', 'ins', 'mark', 's', 'small', 'span', 'strong', 'sub', 'sup', 'u']);

/**
 * Re-reads a field's UTF-8 bytes (as a latin1 string: one char per byte; entities, tags and escapes are ASCII)
 * the way a receiver renders it. Numeric and named entities decode with the `html-entities` library (the HTML5
 * table, legacy names without ";" too, as a browser reads body text); in html, a tag becomes nothing (inline) or a line break (block),
 * so `jane<em>@</em>example.com` reads as the address a browser shows.
 */
function rendered(raw: Buffer, kind: FieldKind): View | null {
  const s = raw.toString('latin1');
  const out: number[] = [];
  const from: number[] = [];
  const to: number[] = [];
  const emit = (bytes: Buffer | number[], start: number, end: number) => {
    for (const b of bytes) {
      out.push(b);
      from.push(start);
      to.push(end);
    }
  };
  let changed = false;
  for (let i = 0; i < s.length;) {
    const c = s.charCodeAt(i);
    if (c === 38) {
      ENTITY_RE.lastIndex = i;
      const m = ENTITY_RE.exec(s);
      const decoded = m === null ? m : decode(m[0], { level: 'html5', scope: 'body' });
      if (m !== null && decoded !== m[0]) {
        emit(Buffer.from(decoded as string, 'utf8'), i, i + m[0].length);
        i += m[0].length;
        changed = true;
        continue;
      }
    } else if (c === 60 && kind === 'html') {
      TAG_RE.lastIndex = i;
      const m = TAG_RE.exec(s);
      if (m !== null) {
        if (m[1] === undefined || !INLINE_TAGS.has(m[1].toLowerCase())) emit([10], i, i + m[0].length);
        i += m[0].length;
        changed = true;
        continue;
      }
    } else if (c === 92 && kind === 'markdown') {
      const next = s.charCodeAt(i + 1);
      // CommonMark: a backslash before ASCII punctuation shows the punctuation alone (jane\@example.com).
      if ((next >= 33 && next <= 47) || (next >= 58 && next <= 64) || (next >= 91 && next <= 96) || (next >= 123 && next <= 126)) {
        emit([next], i, i + 2);
        i += 2;
        changed = true;
        continue;
      }
    }
    emit([c], i, i + 1);
    i++;
  }
  return changed ? { bytes: Buffer.from(out), from: Int32Array.from(from), to: Int32Array.from(to) } : null;
}

interface FieldSpan {
  type: number;
  start: number;
  end: number;
  replacement: string;
  value: Buffer;
}

/** Every detection in the field as sent and as rendered, as byte ranges of the field as sent, merged. */
function scanField(text: string, kind: FieldKind, config: PiiConfig): FieldSpan[] {
  const raw = Buffer.from(text, 'utf8');
  const found: FieldSpan[] = scanBuffer(raw, config).map((s) => ({
    type: PII_TYPE_ORDER.indexOf(s.pii_type),
    start: s.start,
    end: s.end,
    replacement: s.replacement,
    value: s.original,
  }));
  const view = rendered(raw, kind);
  if (view !== null) {
    for (const s of scanBuffer(view.bytes, config)) {
      found.push({
        type: PII_TYPE_ORDER.indexOf(s.pii_type),
        start: view.from[s.start],
        end: view.to[s.end - 1],
        replacement: s.replacement,
        value: s.original,
      });
    }
  }
  if (found.length === 0) return [];
  // Union of both readings; a merged range keeps the replacement and value of the type first in the order.
  const merged = mergeHits(found.map((f, i) => ({ type: f.type, start: f.start, end: f.end, rule: i })));
  return merged.map((m) => {
    const named = found[m.rule as number];
    return { type: m.type, start: m.start, end: m.end, replacement: named.replacement, value: named.value };
  });
}

function findingsOf(field: string, spans: readonly FieldSpan[]): GateFinding[] {
  return spans.map((s) => {
    const type = PII_TYPE_ORDER[s.type];
    return { pii_type: type, field, start: s.start, end: s.end, masked: maskValue(type, s.value) };
  });
}

function typesOf(findings: readonly GateFinding[]): PiiType[] {
  const found = new Set(findings.map((f) => f.pii_type));
  return PII_TYPE_ORDER.filter((t) => found.has(t));
}

/**
 * The one check before anything leaves the service (publishing, exports, AI sends). It scans exactly what is
 * sent, every field, both as written and as the receiver renders it (entities decoded, tags and escapes
 * gone), so `jane&#64;example.com` or `&#65;KIA…` cannot pass as harmless text. `block` refuses with masked
 * findings. `redact` replaces every finding in the text and scans the result again; html fields are never
 * rewritten (a cut through a tag would break the markup: render them from redacted text instead), so a
 * finding in one, or anything left after redacting, blocks.
 */
export function exitGate<F extends string>(fields: Record<F, OutgoingField>, config: PiiConfig, mode: GateMode): GateResult<F> {
  const names = Object.keys(fields) as F[];
  const spans = names.map((name) => scanField(fields[name].text, fields[name].kind, config));
  const findings = names.flatMap((name, i) => findingsOf(name, spans[i]));
  const texts = Object.fromEntries(names.map((name) => [name, fields[name].text])) as Record<F, string>;
  if (findings.length === 0) return { verdict: 'clean', fields: texts };
  const blocked = (list: GateFinding[]): GateResult<F> => ({
    verdict: 'blocked',
    types: typesOf(list),
    findings: list.slice(0, MAX_LISTED),
    count: list.length,
  });
  if (mode === 'block' || names.some((name, i) => fields[name].kind === 'html' && spans[i].length > 0)) return blocked(findings);

  const redacted = { ...texts };
  for (const [i, name] of names.entries()) {
    if (spans[i].length > 0) redacted[name] = redactBuffer(Buffer.from(texts[name], 'utf8'), spans[i]).toString('utf8');
  }
  // A redaction can leave or make a match (a replacement next to a half-covered value): nothing unchecked leaves.
  const left = names.flatMap((name) => findingsOf(name, scanField(redacted[name], fields[name].kind, config)));
  if (left.length > 0) return blocked(left);
  return {
    verdict: 'redacted',
    fields: redacted,
    types: typesOf(findings),
    findings: findings.slice(0, MAX_LISTED),
    count: findings.length,
  };
}

/** Redacts one stored text (markdown by default) through the same readings; what cannot be redacted is cut to a marker. */
export function redactForExit(text: string, config: PiiConfig, kind: FieldKind = 'markdown'): { text: string; types: PiiType[] } {
  const result = exitGate({ text: { kind, text } }, config, 'redact');
  if (result.verdict === 'clean') return { text, types: [] };
  if (result.verdict === 'redacted') return { text: result.fields.text, types: result.types };
  return { text: '[withheld: PII]', types: result.types };
}
