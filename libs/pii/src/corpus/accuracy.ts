import { PII_TYPE_ORDER, type PiiType } from '../pii-types';
import type { LabelledValue } from './corpus-generator';

export interface Detection {
  pii_type: PiiType;
  start: number;
  end: number;
}

export interface TypeScore {
  pii_type: PiiType;
  labels: number;
  detections: number;
  /** Labels covered by a detection of the same type. */
  found: number;
  /** Detections of the type that cover at least one label of the type. */
  correct: number;
  precision: number;
  recall: number;
}

interface TypeMatch {
  dets: Detection[];
  labs: LabelledValue[];
  covered: boolean[];
  correct: Set<number>;
}

/** Detections are merged spans, so the only candidate to cover a label is the last one starting at or before it. */
function matchType(type: PiiType, detections: readonly Detection[], labels: readonly LabelledValue[]): TypeMatch {
  const dets = detections.filter((d) => d.pii_type === type).sort((a, b) => a.start - b.start);
  const labs = labels.filter((l) => l.pii_type === type);
  const correct = new Set<number>();
  const covered = labs.map((l) => {
    let lo = 0;
    let hi = dets.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (dets[mid].start <= l.start) lo = mid + 1;
      else hi = mid - 1;
    }
    const ok = hi >= 0 && dets[hi].end >= l.end;
    if (ok) correct.add(hi);
    return ok;
  });
  return { dets, labs, covered, correct };
}

/** Per-type precision and recall: a detection counts when its type matches and its byte range covers the value. */
export function scoreDetections(detections: readonly Detection[], labels: readonly LabelledValue[]): TypeScore[] {
  return PII_TYPE_ORDER.map((type) => {
    const m = matchType(type, detections, labels);
    const found = m.covered.filter(Boolean).length;
    return {
      pii_type: type,
      labels: m.labs.length,
      detections: m.dets.length,
      found,
      correct: m.correct.size,
      precision: m.dets.length === 0 ? 1 : m.correct.size / m.dets.length,
      recall: m.labs.length === 0 ? 1 : found / m.labs.length,
    };
  });
}

/** The labels no detection covered and the detections that covered no label, for finding out why a score dropped. */
export function mismatches(detections: readonly Detection[], labels: readonly LabelledValue[]) {
  const missed: LabelledValue[] = [];
  const spurious: Detection[] = [];
  for (const type of PII_TYPE_ORDER) {
    const m = matchType(type, detections, labels);
    m.labs.forEach((l, i) => m.covered[i] || missed.push(l));
    m.dets.forEach((d, i) => m.correct.has(i) || spurious.push(d));
  }
  return { missed, spurious };
}
