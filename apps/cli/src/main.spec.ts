import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '@tftsr/test-support/temp-dir';
import { runCli } from './main';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

describe('tftsr', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => (temp = makeTempDir()));
  afterEach(() => temp.remove());

  it('lists its areas and refuses an unknown one with exit code 2', async () => {
    const help = capture();
    expect(await runCli([], {}, help.io)).toBe(0);
    expect(help.out.join('\n')).toMatch(/db .*\n.*keys .*\n.*pii /s);
    const bad = capture();
    expect(await runCli(['nope'], {}, bad.io)).toBe(2);
  });

  it('pii scan prints one JSON object per span, and pii redact writes a copy with none left', async () => {
    const file = join(temp.dir, 'app.log');
    writeFileSync(file, 'login jane.doe@example.org from 203.0.113.45\n');
    const scan = capture();
    expect(await runCli(['pii', 'scan', file, '--json'], {}, scan.io)).toBe(0);
    const spans = scan.out.map((l) => JSON.parse(l));
    expect(spans.map((s) => [s.pii_type, s.start, s.end, s.replacement])).toEqual([
      ['Email', 6, 26, '[Email]'],
      ['IPv4', 32, 44, '[IPv4]'],
    ]);
    expect(spans.every((s) => s.original === undefined)).toBe(true);

    const out = join(temp.dir, 'clean.log');
    expect(await runCli(['pii', 'redact', file, '-o', out], {}, capture().io)).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('login [Email] from [IPv4]\n');
  });
});
