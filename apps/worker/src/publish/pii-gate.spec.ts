import { piiGate } from './pii-gate';

const SECRET = 'AKIAIOSFODNN7EXAMPLE';
const ALL = {};

describe('piiGate', () => {
  it('passes clean text through unchanged', () => {
    expect(piiGate('RCA: disk full', '# Root cause\n\nThe disk filled up.', ALL, 'block')).toEqual({
      verdict: 'clean',
      title: 'RCA: disk full',
      markdown: '# Root cause\n\nThe disk filled up.',
    });
  });

  it('blocks a planted secret and lists where it is, masked', () => {
    const result = piiGate('RCA: login for ops@example.com', `key ${SECRET} leaked`, ALL, 'block');
    expect(result.verdict).toBe('blocked');
    if (result.verdict !== 'blocked') return;
    expect(result.types).toEqual(expect.arrayContaining(['Email', 'AwsAccessKey']));
    expect(result.findings.map((f) => f.field).sort()).toEqual(['content_md', 'title']);
    expect(JSON.stringify(result)).not.toContain(SECRET);
    expect(JSON.stringify(result)).not.toContain('ops@example.com');
  });

  it('redacts instead when the setting says so', () => {
    const result = piiGate('RCA', `key ${SECRET} leaked`, ALL, 'redact');
    expect(result.verdict).toBe('redacted');
    if (result.verdict !== 'redacted') return;
    expect(result.markdown).not.toContain(SECRET);
    expect(result.markdown).toMatch(/^key \[.+\] leaked$/);
  });

  it('honours the allow-list, like every other scan', () => {
    expect(piiGate('t', 'write to support@example.com', { allowList: ['support@example.com'] }, 'block').verdict).toBe('clean');
  });
});
