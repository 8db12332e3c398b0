import type { PiiType } from '../pii-types';
import { scanBuffer } from '../scanner';
import { scoreDetections } from './accuracy';
import { generateCorpus } from './corpus-generator';

const STRICT: PiiType[] = [
  'Email',
  'IPv4',
  'IPv6',
  'MAC',
  'SSN',
  'DateOfBirth',
  'CreditCard',
  'AwsAccessKey',
  'JWT',
  'PrivateKey',
  'URL',
  'Bearer',
  'GitHubToken',
  'SlackToken',
  'IBAN',
];
const LOOSE: PiiType[] = ['Phone', 'Hostname', 'Password', 'ApiKey'];

describe('accuracy on the generated corpus', () => {
  const corpus = generateCorpus({ seed: 20240611, targetBytes: 3 << 20 });
  const scores = new Map(scoreDetections(scanBuffer(corpus.bytes), corpus.labels).map((s) => [s.pii_type, s]));

  it('injects enough of every type to measure 0.99', () => {
    for (const s of scores.values()) if (s.pii_type !== 'Custom') expect(s.labels).toBeGreaterThanOrEqual(150);
  });

  it.each(STRICT)('%s reaches precision and recall of 0.99', (type) => {
    const s = scores.get(type)!;
    expect(s.precision).toBeGreaterThanOrEqual(0.99);
    expect(s.recall).toBeGreaterThanOrEqual(0.99);
  });

  it.each(LOOSE)('%s reaches precision and recall of 0.95', (type) => {
    const s = scores.get(type)!;
    expect(s.precision).toBeGreaterThanOrEqual(0.95);
    expect(s.recall).toBeGreaterThanOrEqual(0.95);
  });
});

describe('generateCorpus', () => {
  it('is deterministic for a seed', () => {
    const a = generateCorpus({ seed: 9, targetBytes: 50_000 });
    const b = generateCorpus({ seed: 9, targetBytes: 50_000 });
    expect(a.bytes.equals(b.bytes)).toBe(true);
    expect(a.labels).toEqual(b.labels);
    expect(generateCorpus({ seed: 10, targetBytes: 50_000 }).bytes.equals(a.bytes)).toBe(false);
  });

  it('labels byte ranges, past non-ASCII and invalid UTF-8 text', () => {
    const { bytes, labels } = generateCorpus({ seed: 4, targetBytes: 400_000 });
    expect(bytes.toString('utf8').length).toBeLessThan(bytes.length);
    const emails = labels.filter((l) => l.pii_type === 'Email').map((l) => bytes.subarray(l.start, l.end).toString());
    expect(emails.length).toBeGreaterThan(0);
    for (const e of emails) expect(e).toMatch(/^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$/);
  });
});

describe('scoreDetections', () => {
  const labels = [{ pii_type: 'Email' as const, start: 10, end: 20 }];

  it('counts a detection that covers the value with the same type', () => {
    expect(scoreDetections([{ pii_type: 'Email', start: 5, end: 25 }], labels).find((s) => s.pii_type === 'Email')).toMatchObject({
      pii_type: 'Email',
      precision: 1,
      recall: 1,
    });
  });

  it('does not count a partial cover or another type', () => {
    const partial = scoreDetections([{ pii_type: 'Email', start: 12, end: 20 }], labels).find((s) => s.pii_type === 'Email');
    expect(partial).toMatchObject({ precision: 0, recall: 0 });
    const other = scoreDetections([{ pii_type: 'Hostname', start: 10, end: 20 }], labels);
    expect(other.find((s) => s.pii_type === 'Email')).toMatchObject({ recall: 0 });
    expect(other.find((s) => s.pii_type === 'Hostname')).toMatchObject({ precision: 0 });
  });
});
