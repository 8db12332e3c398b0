import fc from 'fast-check';
import { TYPE_INDEX } from './detectors/detector';
import { mergeHits } from './merger';

const h = (type: keyof typeof TYPE_INDEX, start: number, end: number) => ({
  type: TYPE_INDEX[type],
  start,
  end,
  valueStart: start,
  valueEnd: end,
});

describe('mergeHits', () => {
  it('keeps separate hits apart', () => {
    expect(mergeHits([h('IPv4', 10, 18), h('Email', 0, 5)])).toEqual([
      { type: TYPE_INDEX.Email, start: 0, end: 5 },
      { type: TYPE_INDEX.IPv4, start: 10, end: 18 },
    ]);
  });

  it('merges overlapping hits into their union under the type that comes first', () => {
    expect(mergeHits([h('Hostname', 20, 40), h('URL', 0, 45), h('Email', 15, 40)])).toEqual([{ type: TYPE_INDEX.URL, start: 0, end: 45 }]);
  });

  it('merges touching hits', () => {
    expect(mergeHits([h('Hostname', 0, 10), h('IPv4', 10, 20)])).toEqual([{ type: TYPE_INDEX.IPv4, start: 0, end: 20 }]);
  });

  it('covers every byte of every hit, unlike the desktop app, which dropped the start of a replaced span', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(17), fc.nat(500), fc.nat(40)), { maxLength: 60 }), (raw) => {
        const hits = raw.map(([t, s, len]) => ({ type: t, start: s, end: s + len, valueStart: s, valueEnd: s + len }));
        const merged = mergeHits(hits);
        for (let i = 1; i < merged.length; i++) expect(merged[i].start).toBeGreaterThan(merged[i - 1].end);
        for (const hit of hits) {
          const m = merged.find((x) => x.start <= hit.start && x.end >= hit.end);
          expect(m).toBeDefined();
          expect(m!.type).toBeLessThanOrEqual(hit.type);
        }
      }),
    );
  });
});
