import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CustomRule, CustomRuleError, parseCustomRules } from './custom-rules';
import { PiiConfigError } from './engine';
import { scanFileParallel } from './parallel';
import { redactBuffer } from './redactor';
import { scanBuffer, scanStream } from './scanner';

const employee = { name: 'employee-id', pattern: 'EMP-[0-9]{6}', replacement: '[EMPLOYEE]' };

function redact(text: string, rules: CustomRule[] = [employee]): string {
  const bytes = Buffer.from(text, 'utf8');
  return redactBuffer(bytes, scanBuffer(bytes, { customRules: rules })).toString('utf8');
}

describe('custom rules', () => {
  it('finds what a rule describes and replaces it with the rule replacement', () => {
    const line = '2024-03-01T10:00:00Z INFO badge EMP-123456 entered door 4; EMP-654321 left';
    const spans = scanBuffer(Buffer.from(line), { customRules: [employee] });
    expect(spans.map((s) => [s.pii_type, s.rule, s.replacement, s.original.toString()])).toEqual([
      ['Custom', 'employee-id', '[EMPLOYEE]', 'EMP-123456'],
      ['Custom', 'employee-id', '[EMPLOYEE]', 'EMP-654321'],
    ]);
    expect(redact(line)).toBe('2024-03-01T10:00:00Z INFO badge [EMPLOYEE] entered door 4; [EMPLOYEE] left');
  });

  it('defaults the replacement to the rule name in brackets, and runs beside the built-in types', () => {
    expect(redact('ticket TCK-0042 from ops@example.com', [{ name: 'ticket', pattern: 'TCK-\\d+' }])).toBe('ticket [ticket] from [Email]');
  });

  it('gives an overlap with a built-in type the built-in name, covering both', () => {
    expect(redact('user=EMP-123456@example.com', [employee])).toBe('user=[Email]');
  });

  it('matches UTF-8 patterns on UTF-8 text, with byte offsets', () => {
    const text = 'Grüße von Jürgen Müller, Zoë';
    const spans = scanBuffer(Buffer.from(text), { customRules: [{ name: 'name', pattern: 'J[üu]rgen M[üu]ller' }] });
    expect(spans.map((s) => s.original.toString('utf8'))).toEqual(['Jürgen Müller']);
    expect(redact(text, [{ name: 'name', pattern: 'J[üu]rgen M[üu]ller' }])).toBe('Grüße von [name], Zoë');
  });

  it('stops a match at a line break and treats ^ and $ as line anchors', () => {
    const text = 'ERROR a\nok ERROR b\nERROR c';
    expect(redact(text, [{ name: 'err', pattern: '^ERROR[\\s\\S]*' }])).toBe('[err]\nok ERROR b\n[err]');
  });

  it('finds the same spans in a stream of small windows as in one buffer', async () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `line ${i} EMP-${String(100000 + i)} host-${i}.example.com\n`).join('');
    const whole = scanBuffer(Buffer.from(lines), { customRules: [employee] });
    const streamed = [];
    async function* chunks() {
      const b = Buffer.from(lines);
      for (let i = 0; i < b.length; i += 777) yield b.subarray(i, i + 777);
    }
    for await (const s of scanStream(chunks(), { customRules: [employee] }, { windowBytes: 4096 })) streamed.push(s);
    expect(streamed.map((s) => [s.start, s.end, s.replacement])).toEqual(whole.map((s) => [s.start, s.end, s.replacement]));
    expect(whole.filter((s) => s.pii_type === 'Custom')).toHaveLength(2000);
  });

  it('keeps the rule replacement in a parallel scan', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'custom-rules-'));
    try {
      const path = join(dir, 'app.log');
      writeFileSync(path, Array.from({ length: 20000 }, (_, i) => `line ${i} EMP-${String(100000 + i)}\n`).join(''));
      const spans = await scanFileParallel(path, { config: { customRules: [employee] }, workers: 2, minParallelBytes: 1 });
      expect(spans).toHaveLength(20000);
      expect(new Set(spans.map((s) => `${s.pii_type} ${s.rule} ${s.replacement}`))).toEqual(new Set(['Custom employee-id [EMPLOYEE]']));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Backtracking engines take exponential time on these; re2js is linear in pattern × input, so each scan of a
  // 1 MiB line ends (the bound is jest's timeout, not a timed assertion).
  it.each([
    ['(a+)+$', 0],
    ['(a|aa)*c', 0],
    ['([a-z]+)*[0-9]{3}', 0],
    ['(.*a){12}x', 0],
    ['(a|a?)+b', 0],
    ['[a-z]{30}[0-9]', 0],
    ['(\\w+\\s?){10}!', 1],
  ])('scans a 1 MiB adversarial line with %s', (pattern, count) => {
    const line = Buffer.concat([Buffer.alloc(1 << 20, 'a'), Buffer.from('!\n')]);
    expect(scanBuffer(line, { customRules: [{ name: 'evil', pattern }] })).toHaveLength(count);
  });

  it('scans a 1 MiB line that a greedy rule matches end to end', () => {
    const line = Buffer.alloc(1 << 20, 'a');
    const spans = scanBuffer(line, { customRules: [{ name: 'run', pattern: 'a[^\\n]*' }] });
    expect(spans).toHaveLength(1);
    expect([spans[0].start, spans[0].end]).toEqual([0, 1 << 20]);
  });
});

describe('parseCustomRules', () => {
  it.each([
    ['a syntax error', [{ name: 'x', pattern: '(a' }], /not valid RE2 syntax/],
    ['a back-reference', [{ name: 'x', pattern: '(a)\\1' }], /not valid RE2 syntax/],
    ['a look-behind', [{ name: 'x', pattern: '(?<=a)b' }], /not valid RE2 syntax/],
    ['a pattern matching the empty string', [{ name: 'x', pattern: 'a*' }], /empty string/],
    ['a pattern too large to match fast', [{ name: 'x', pattern: '[a-z]{1000}[0-9]{1000}' }], /too complex/],
    ['a bad name', [{ name: '1 x', pattern: 'a' }], /name must be/],
    [
      'a duplicate name',
      [
        { name: 'x', pattern: 'a' },
        { name: 'x', pattern: 'b' },
      ],
      /used twice/,
    ],
    ['an unknown field', [{ name: 'x', pattern: 'a', flags: 'i' }], /unknown field/],
    ['not a list', { name: 'x', pattern: 'a' }, /must be an array/],
  ])('refuses %s', (_what, value, message) => {
    expect(() => parseCustomRules(value)).toThrow(CustomRuleError);
    expect(() => parseCustomRules(value)).toThrow(message);
  });

  it('refuses a bad rule in the scan config too', () => {
    expect(() => scanBuffer(Buffer.from('x'), { customRules: [{ name: 'x', pattern: '(a' }] })).toThrow(PiiConfigError);
  });
});
