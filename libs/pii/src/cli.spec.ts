import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliIo, runPiiCli } from './cli';

function memoryIo(isTTY = false): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    isTTY,
    out: () => out,
    err: () => err,
  };
}

const LOG = 'login bob@example.com from 10.0.0.1\nGrüße: password=hunter2 host db-01.example.com\n';

describe('runPiiCli', () => {
  let dir: string;
  let file: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pii-cli-'));
    file = join(dir, 'app.log');
    await writeFile(file, LOG);
  });

  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('prints one JSON object per span without the original value', async () => {
    const io = memoryIo();
    expect(await runPiiCli(['scan', file, '--json'], io)).toBe(0);
    const lines = io.out().trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({ pii_type: 'Email', start: 6, end: 21, replacement: '[Email]' });
    expect(lines.map((l) => l.pii_type)).toEqual(['Email', 'IPv4', 'Password', 'Hostname']);
    expect(io.out()).not.toContain('hunter2');
  });

  it('adds the original value with --reveal', async () => {
    const io = memoryIo();
    await runPiiCli(['pii', 'scan', file, '--json', '--reveal'], io);
    expect(JSON.parse(io.out().split('\n')[2])).toMatchObject({ pii_type: 'Password', original: 'password=hunter2' });
  });

  it('prints a table with masked values by default', async () => {
    const io = memoryIo();
    await runPiiCli(['scan', file], io);
    expect(io.out()).toMatch(/^TYPE\s+START\s+END\s+REPLACEMENT\s+VALUE\n/);
    expect(io.out()).toMatch(/Email\s+6\s+21\s+\[Email\]\s+b\*\*\*@e\*\*\*\.com/);
    expect(io.out()).not.toContain('hunter2');
  });

  it('writes a summary by type to stderr', async () => {
    const io = memoryIo();
    await runPiiCli(['scan', file, '--json'], io);
    expect(io.err()).toBe(`pii: 4 spans in ${file}\n  Password      1\n  Email         1\n  IPv4          1\n  Hostname      1\n`);
  });

  it('applies --types and --allow', async () => {
    const io = memoryIo();
    await runPiiCli(['scan', file, '--json', '--types', 'Email,IPv4', '--allow=10.0.0.1'], io);
    expect(io.out().trim().split('\n').map((l) => JSON.parse(l).pii_type)).toEqual(['Email']);
  });

  it('writes a redacted copy with redact -o', async () => {
    const out = join(dir, 'app.redacted.log');
    const io = memoryIo();
    expect(await runPiiCli(['redact', file, '-o', out], io)).toBe(0);
    expect(await readFile(out, 'utf8')).toBe('login [Email] from [IPv4]\nGrüße: [Password] host [Hostname]\n');
    expect(io.err()).toContain(`pii: wrote ${out}`);
  });

  it('refuses to redact a file onto itself', async () => {
    const io = memoryIo();
    expect(await runPiiCli(['redact', file, '-o', file], io)).toBe(1);
    expect(await readFile(file, 'utf8')).toBe(LOG);
  });

  it('fails with exit code 1 and a clear message for a missing file', async () => {
    const io = memoryIo();
    expect(await runPiiCli(['scan', join(dir, 'nope.log')], io)).toBe(1);
    expect(io.err()).toBe(`pii: ${join(dir, 'nope.log')}: no such file\n`);
  });

  it.each([
    [['scan'], "missing required argument 'file'"],
    [['scan', 'a', 'b'], "too many arguments for 'scan'"],
    [['scan', 'a', '--bogus'], "unknown option '--bogus'"],
    [['scan', 'a', '--types', 'Emial'], "argument 'Emial' is invalid. unknown type(s): Emial; known: PrivateKey"],
    [['scan', 'a', '--types'], "option '--types <list>' argument missing"],
    [['redact', 'a'], "required option '-o, --output <out>' not specified"],
    [['redact', 'a', '-o', 'b', '--json'], "unknown option '--json'"],
    [['frobnicate', 'a'], "unknown command 'frobnicate'"],
  ])('exits 2 on bad arguments %j', async (argv, message) => {
    const io = memoryIo();
    expect(await runPiiCli(argv, io)).toBe(2);
    expect(io.err()).toMatch(/^error: /);
    expect(io.err()).toContain(message);
    expect(io.err()).toContain('Usage: tftsr pii');
    expect(io.out()).toBe('');
  });

  it('prints usage for help', async () => {
    const io = memoryIo();
    expect(await runPiiCli(['--help'], io)).toBe(0);
    expect(io.out()).toMatch(/scan \[options\] <file>/);
    const scan = memoryIo();
    expect(await runPiiCli(['scan', '-h'], scan)).toBe(0);
    expect(scan.out()).toContain('Usage: tftsr pii scan [options] <file>');
  });

  it('draws progress for a large file only when stderr is a terminal', async () => {
    await truncate(file, 64 << 20);
    const tty = memoryIo(true);
    const pipe = memoryIo(false);
    await runPiiCli(['scan', file, '--json'], tty);
    await runPiiCli(['scan', file, '--json'], pipe);
    expect(tty.err()).toMatch(/\rpii: scanning .*% \(\d+\/64 MiB\)/);
    expect(pipe.err()).not.toContain('scanning');
  });
});
