import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const CLI = join(__dirname, '..', '..', 'bin', 'tftsr.js');
const LOG = 'login jane.doe@example.org from 203.0.113.45\n';

/** The built tool as its own process, fed on standard input as in `zcat app.log.gz | tftsr pii scan -`. */
function pii(args: string[], input: Buffer) {
  const run = spawnSync(process.execPath, [CLI, 'pii', ...args], { input, env: { PATH: process.env.PATH ?? '' } });
  return { code: run.status, out: run.stdout.toString(), err: run.stderr.toString() };
}

describe('tftsr pii scan -, as a process', () => {
  it.each([
    ['plain text', Buffer.from(LOG)],
    ['gzip', gzipSync(Buffer.from(LOG))],
  ])('scans %s from standard input', (_kind, input) => {
    const run = pii(['scan', '-', '--json'], input);
    expect(run.code).toBe(0);
    expect(
      run.out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).pii_type),
    ).toEqual(['Email', 'IPv4']);
    expect(run.err).toBe('pii: 2 spans in standard input\n  Email         1\n  IPv4          1\n');
  });

  it('refuses binary input on standard input with one line and exit code 1', () => {
    const run = pii(['scan', '-'], Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect({ code: run.code, out: run.out }).toEqual({ code: 1, out: '' });
    expect(run.err).toBe(
      'pii: standard input: refusing binary input: the content is png, not text; pii reads text logs, plain or gzip-compressed\n',
    );
  });
});
