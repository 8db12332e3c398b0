import { keepId, mapSeverity, mapStatus, parseDesktopMillis, parseDesktopTime, tagsJson } from './desktop-mapping';
import { CorruptRowError } from './import-errors';
import { placeSteps } from './issue-plan';

describe('desktop mapping', () => {
  it('maps P1-P4 and our own words to our severities, and reports anything else', () => {
    expect(['P1', 'p2', 'P3', 'P4', 'critical', 'low'].map((s) => mapSeverity(s).value)).toEqual([
      'critical',
      'high',
      'medium',
      'low',
      'critical',
      'low',
    ]);
    expect(mapSeverity('sev0')).toEqual({ value: 'medium', unknown: 'sev0' });
  });

  it('maps the app statuses, triaging to investigating', () => {
    expect(['open', 'triaging', 'investigating', 'resolved', 'closed'].map((s) => mapStatus(s).value)).toEqual([
      'open',
      'investigating',
      'investigating',
      'resolved',
      'closed',
    ]);
    expect(mapStatus(null)).toEqual({ value: 'open', unknown: 'null' });
  });

  it('parses both timestamp forms, with and without " UTC"', () => {
    expect(parseDesktopTime('2026-03-01 11:00:00 UTC', 'x')).toBe('2026-03-01 11:00:00');
    expect(parseDesktopTime('2026-03-01 11:00:00', 'x')).toBe('2026-03-01 11:00:00');
    expect(parseDesktopTime('2026-03-01T11:00:00Z', 'x')).toBe('2026-03-01 11:00:00');
    expect(() => parseDesktopTime('yesterday', 'issue 1')).toThrow(CorruptRowError);
    expect(() => parseDesktopTime('2026-13-45 11:00:00', 'issue 1')).toThrow(/cannot be read/);
    expect(parseDesktopMillis('2026-03-01 11:00:00 UTC', 'x')).toBe(Date.UTC(2026, 2, 1, 11));
    expect(parseDesktopMillis(1234, 'x')).toBe(1234);
  });

  it('keeps UUIDs and refuses anything else as a corrupt row', () => {
    expect(keepId('0190A4B2-7C3D-7E8F-9A0B-1C2D3E4F5A6B', 'x')).toBe('0190a4b2-7c3d-7e8f-9a0b-1c2d3e4f5a6b');
    expect(() => keepId('step-7', 'a resolution_steps row')).toThrow(/a resolution_steps row has an id that is not a UUID/);
  });

  it('keeps a JSON array of strings as tags, and nothing else', () => {
    expect(tagsJson('["a","b"]')).toBe('["a","b"]');
    expect(tagsJson('{"a":1}')).toBe('[]');
    expect(tagsJson('not json')).toBe('[]');
  });

  it('renumbers the steps of a new issue whose orders repeat, and appends to an imported issue', () => {
    const step = (id: string, step_order: number) => ({
      id,
      issue_id: 'i',
      step_order,
      why_question: 'q',
      answer: null,
      evidence: null,
      created_at: 't',
    });
    expect(placeSteps([step('a', 1), step('b', 1), step('c', 2)], new Set(), true).steps.map((s) => s.step_order)).toEqual([1, 2, 3]);
    expect(placeSteps([step('a', 1), step('b', 2)], new Set(), true)).toMatchObject({ renumbered: 0 });
    expect(placeSteps([step('d', 2)], new Set([1, 2, 3]), false).steps.map((s) => s.step_order)).toEqual([4]);
  });
});
