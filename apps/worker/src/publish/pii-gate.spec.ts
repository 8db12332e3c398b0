import { piiGate } from './pii-gate';

const SECRET = 'AKIAIOSFODNN7EXAMPLE';
const ALL = {};

describe('piiGate', () => {
  it('passes clean text through unchanged', () => {
    expect(piiGate('RCA: disk full', '# Root cause\n\nThe disk filled up.', ALL, 'block')).toEqual({
      verdict: 'clean',
      title: 'RCA: disk full',
      markdown: '# Root cause\n\nThe disk filled up.',
      html: '<h1>Root cause</h1>\n<p>The disk filled up.</p>',
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

// The document of issue 12: the Markdown spells every value with HTML entities, which rendering decodes.
const ENCODED = [
  '# RCA',
  'Contact jane&#64;example&#46;com',
  'Card 4111&#32;1111&#32;1111&#32;1111',
  'Key &#65;KIAIOSFODNN7EXAMPLE',
  'password&#61;Hunter2&#33;x',
].join('\n\n');

describe('piiGate on entity-encoded text', () => {
  it('blocks the document whose rendered body would carry the e-mail, card, AWS key and password', () => {
    const result = piiGate('RCA', ENCODED, ALL, 'block');
    expect(result).toMatchObject({ verdict: 'blocked' });
    if (result.verdict !== 'blocked') return;
    expect(result.types).toEqual(expect.arrayContaining(['AwsAccessKey', 'Password', 'CreditCard', 'Email']));
  });

  it('redacts them so that neither the Markdown nor the HTML sent holds them', () => {
    const result = piiGate('RCA', ENCODED, ALL, 'redact');
    expect(result.verdict).toBe('redacted');
    if (result.verdict !== 'redacted') return;
    for (const value of ['jane@example.com', '4111 1111 1111 1111', 'AKIAIOSFODNN7EXAMPLE', 'Hunter2']) {
      expect(result.html).not.toContain(value);
      expect(result.markdown).not.toContain(value);
    }
    expect(result.html).toContain('[Email]');
  });

  it('blocks a value that only the rendered HTML shows, even when redacting', () => {
    expect(piiGate('RCA', 'employee ssn 123-**45**-6789 on file', ALL, 'redact')).toMatchObject({ verdict: 'blocked', types: ['SSN'] });
  });

  it('scans every other field sent, such as the options', () => {
    expect(piiGate('RCA', 'fine', ALL, 'block', { work_item_type: 'Bug for ops&#64;example.com' })).toMatchObject({
      verdict: 'blocked',
      findings: [{ field: 'work_item_type', pii_type: 'Email' }],
    });
  });
});
