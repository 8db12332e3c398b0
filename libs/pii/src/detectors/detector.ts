import { PII_TYPE_ORDER, type PiiType } from '../pii-types';

/**
 * A raw detection before allow-listing and merging. Positions index a latin1 string, so they are byte offsets
 * relative to the window being scanned. `type` is the index in PII_TYPE_ORDER, so merging compares numbers.
 */
export interface Hit {
  type: number;
  start: number;
  end: number;
  /** The secret part (without key name or quotes), compared with the allow-list. */
  valueStart: number;
  valueEnd: number;
  /** For a Custom hit: the index of its rule in PiiConfig.customRules. */
  rule?: number;
}

/**
 * One pass over a window. `scan` reports hits whose candidate is found at a position in [from, limit) and returns
 * where its search stopped; the scanner resumes there (or at `limit`) in the next window, so a candidate that
 * straddles a window edge is examined exactly once. Text before `from` (CONTEXT bytes) and after `limit`
 * (OVERLAP bytes) is present unless the file starts or ends there.
 */
export interface Detector {
  readonly name: string;
  readonly types: readonly PiiType[];
  /** Longest distance from a candidate's position to the end of its hit, plus look-ahead. */
  readonly maxSpan: number;
  /** Longest distance a hit may start before its candidate's position (back-scans). */
  readonly maxBack: number;
  scan(text: string, from: number, limit: number, out: Hit[]): number;
}

export const TYPE_INDEX: Readonly<Record<PiiType, number>> = Object.fromEntries(PII_TYPE_ORDER.map((t, i) => [t, i])) as Record<
  PiiType,
  number
>;

export function hit(type: PiiType, start: number, end: number, valueStart = start, valueEnd = end): Hit {
  return { type: TYPE_INDEX[type], start, end, valueStart, valueEnd };
}

/**
 * The text an anchor search needs: anchors start before `limit` and are short, so the 16 KiB of look-ahead after
 * it (there for the handlers) need not be searched in every pass of every window. An O(1) sliced string.
 */
function searchable(text: string, limit: number): string {
  return text.length > limit + ANCHOR_MAX ? text.slice(0, limit + ANCHOR_MAX) : text;
}

/** Longer than any anchor match and its look-ahead. */
const ANCHOR_MAX = 256;

/**
 * Runs a global anchor regex over [from, limit) and hands each match to `onMatch`, which returns where the
 * search continues (the hit's end, or just past the anchor when the candidate was rejected).
 */
export function scanAnchors(re: RegExp, text: string, from: number, limit: number, onMatch: (m: RegExpExecArray) => number): number {
  const hay = searchable(text, limit);
  let pos = from;
  for (;;) {
    re.lastIndex = pos;
    const m = re.exec(hay);
    if (m === null || m.index >= limit) return pos;
    const next = onMatch(m);
    pos = next > m.index ? next : m.index + 1;
  }
}

/**
 * Like scanAnchors for literal anchors, with String#indexOf: for a rare first character it runs at memchr speed,
 * 20-50x faster than a regex pass. `onHit` gets the position and the index of the literal found there.
 */
export function scanLiterals(
  literals: readonly string[],
  text: string,
  from: number,
  limit: number,
  onHit: (at: number, literal: number) => number,
): number {
  const hay = searchable(text, limit);
  let pos = from;
  if (literals.length === 1) {
    const literal = literals[0];
    for (;;) {
      const at = hay.indexOf(literal, pos);
      if (at < 0 || at >= limit) return pos;
      const after = onHit(at, 0);
      pos = after > at ? after : at + 1;
    }
  }
  const next = literals.map((l) => hay.indexOf(l, from));
  for (;;) {
    let best = -1;
    for (let k = 0; k < literals.length; k++) {
      if (next[k] >= 0 && next[k] < pos) next[k] = hay.indexOf(literals[k], pos);
      if (next[k] >= 0 && (best < 0 || next[k] < next[best])) best = k;
    }
    if (best < 0 || next[best] >= limit) return pos;
    const at = next[best];
    const after = onHit(at, best);
    pos = after > at ? after : at + 1;
  }
}

/** Runs a sticky regex at `at`; null when it does not match there. */
export function matchAt(re: RegExp, text: string, at: number): RegExpExecArray | null {
  re.lastIndex = at;
  return re.exec(text);
}

// Char-class helpers on char codes; the text is latin1, so bytes >= 0x80 are never word characters.
export function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122);
}

export function isWord(c: number): boolean {
  return isAlnum(c) || c === 95;
}

export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

export function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 102);
}
