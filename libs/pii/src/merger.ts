import type { Hit } from './detectors/detector';

/** A merged span: positions are absolute byte offsets, `type` an index into PII_TYPE_ORDER. */
export interface MergedSpan {
  type: number;
  start: number;
  end: number;
  /** The custom rule of a Custom span. */
  rule?: number;
}

/**
 * Merges overlapping and touching hits into spans that cover every byte of every hit; a merged span takes the
 * type that comes first in PII_TYPE_ORDER. Merging merged spans with more hits gives the same result as merging
 * all hits at once, which is what lets the scanner merge window by window.
 */
export function mergeHits(hits: (Hit | MergedSpan)[]): MergedSpan[] {
  // Sorts in place: callers pass an array they own (each detector's hits are already in order, which TimSort
  // merges cheaply).
  hits.sort((a, b) => a.start - b.start || a.end - b.end);
  const out: MergedSpan[] = [];
  let cur: MergedSpan | null = null;
  for (const h of hits) {
    if (cur !== null && h.start <= cur.end) {
      if (h.end > cur.end) cur.end = h.end;
      if (h.type < cur.type) {
        cur.type = h.type;
        cur.rule = h.rule;
      }
      continue;
    }
    cur = { type: h.type, start: h.start, end: h.end, rule: h.rule };
    out.push(cur);
  }
  return out;
}
