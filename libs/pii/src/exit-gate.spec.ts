import { exitGate, redactForExit } from './exit-gate';

// The document of issue 12: every value spelled with HTML entities, which the renderer and receivers decode.
const ENCODED = [
  '# Incident notes',
  '',
  'Contact jane&#64;example&#46;com or ops&commat;example.org about it.',
  'Card on file: 4111&#32;1111&#32;1111&#32;1111',
  'Key used: &#65;KIAIOSFODNN7EXAMPLE',
  'Login: password&#61;Hunter2&#33;x',
].join('\n');

describe('exitGate', () => {
  it('blocks the entity-encoded document: e-mail, card, AWS key and password, with masked findings', () => {
    const result = exitGate({ title: { kind: 'text', text: 'Notes' }, body: { kind: 'markdown', text: ENCODED } }, {}, 'block');
    expect(result.verdict).toBe('blocked');
    if (result.verdict !== 'blocked') return;
    expect(result.types).toEqual(expect.arrayContaining(['AwsAccessKey', 'Password', 'CreditCard', 'Email']));
    for (const f of result.findings) expect(ENCODED).not.toContain(f.masked.length > 6 ? f.masked : '\u0000');
    const email = result.findings.find((f) => f.pii_type === 'Email')!;
    expect(Buffer.from(ENCODED).subarray(email.start, email.end).toString()).toBe('jane&#64;example&#46;com');
  });

  it('redacts every entity-spelled value in place, leaving nothing a rescan or a renderer would find', () => {
    const result = exitGate({ body: { kind: 'markdown', text: ENCODED } }, {}, 'redact');
    expect(result.verdict).toBe('redacted');
    if (result.verdict !== 'redacted') return;
    expect(result.fields.body).toContain('Contact [Email] or [Email] about it.');
    expect(result.fields.body).toContain('Card on file: [CreditCard]');
    expect(result.fields.body).toContain('Key used: [AwsAccessKey]');
    expect(result.fields.body).not.toMatch(/Hunter2/);
    expect(exitGate({ body: { kind: 'markdown', text: result.fields.body } }, {}, 'block').verdict).toBe('clean');
  });

  it('reads html as a browser shows it: a value split by inline tags is found and blocks', () => {
    const html = '<p>mail <strong>jane</strong>@<em>example.com</em></p><p>ssn 123-45-6789</p>';
    const result = exitGate({ html: { kind: 'html', text: html } }, {}, 'redact');
    expect(result).toMatchObject({ verdict: 'blocked', types: ['SSN', 'Email'] });
  });

  it('drops markdown backslash escapes before scanning', () => {
    expect(redactForExit('write to jane\\@example.com', {})).toEqual({ text: 'write to [Email]', types: ['Email'] });
  });

  it('scans every field, and passes clean ones unchanged', () => {
    const fields = {
      title: { kind: 'text' as const, text: 'Checkout 502s' },
      tags: { kind: 'text' as const, text: 'payments, ops&#64;example.com' },
    };
    expect(exitGate(fields, {}, 'block')).toMatchObject({ verdict: 'blocked', findings: [{ field: 'tags', pii_type: 'Email' }] });
    expect(exitGate({ title: fields.title }, {}, 'block')).toEqual({ verdict: 'clean', fields: { title: 'Checkout 502s' } });
  });

  it('applies custom rules and the allow-list like any scan', () => {
    const config = { allowList: ['ops@example.com'], customRules: [{ name: 'emp', pattern: 'EMP-\\d{6}' }] };
    expect(redactForExit('ops@example.com saw EMP-&#49;23456', config)).toEqual({ text: 'ops@example.com saw [emp]', types: ['Custom'] });
  });
});
