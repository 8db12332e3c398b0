import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { type CliIo, runPiiCli } from './cli';
import { generateCorpus } from './corpus/corpus-generator';
import { scanBuffer } from './scanner';

function memoryIo(isTTY = false, stdin?: Buffer): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdin: stdin === undefined ? undefined : Readable.from([stdin.subarray(0, 7), stdin.subarray(7)]),
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
    const lines = io
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({ pii_type: 'Email', start: 6, end: 21, replacement: '[Email]' });
    expect(lines.map((l) => l.pii_type)).toEqual(['Email', 'IPv4', 'Password', 'Hostname']);
    expect(io.out()).not.toContain('hunter2');
  });

  it('adds the original value with --reveal', async () => {
    const io = memoryIo();
    await runPiiCli(['pii', 'scan', file, '--json', '--reveal'], io);
    expect(JSON.parse(io.out().split('\n')[2])).toMatchObject({ pii_type: 'Password', original: 'password=hunter2' });
  });

  it('writes each JSON line as JSON.stringify would, byte for byte, escapes included', async () => {
    await writeFile(file, 'password="hun\\ter\u00e92" from 10.0.0.1\n');
    for (const reveal of [[], ['--reveal']]) {
      const io = memoryIo();
      await runPiiCli(['scan', file, '--json', ...reveal], io);
      const lines = io.out().trimEnd().split('\n');
      expect(lines.length).toBeGreaterThan(1);
      for (const line of lines) expect(line).toBe(JSON.stringify(JSON.parse(line)));
      if (reveal.length) expect(JSON.parse(lines[0]).original).toBe('password="hun\\ter\u00e92"');
    }
  });

  it('writes the spans scanBuffer finds, for a file of several reads, alike from the file, its gzip and standard input', async () => {
    const { bytes } = generateCorpus({ seed: 7, targetBytes: 3 << 20 });
    const spans = scanBuffer(bytes);
    const json = spans.map(({ pii_type, start, end, replacement }) => `${JSON.stringify({ pii_type, start, end, replacement })}\n`);
    const revealed = spans.map(
      ({ pii_type, start, end, replacement, original }) =>
        `${JSON.stringify({ pii_type, start, end, replacement, original: original.toString('utf8') })}\n`,
    );
    const gz = join(dir, 'big.log.gz');
    await writeFile(file, bytes);
    await writeFile(gz, gzipSync(bytes));
    for (const [args, input] of [
      [[file], undefined],
      [[gz], undefined],
      [['-'], bytes],
    ] as const) {
      for (const reveal of [false, true]) {
        const io = memoryIo(false, input);
        expect(await runPiiCli(['scan', ...args, '--json', ...(reveal ? ['--reveal'] : [])], io)).toBe(0);
        expect(io.out()).toBe((reveal ? revealed : json).join(''));
      }
    }
    expect(spans.length).toBeGreaterThan(10_000);
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
    expect(
      io
        .out()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).pii_type),
    ).toEqual(['Email']);
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
    // Text at the start (the binary check looks there), then a sparse tail to make the file large.
    await writeFile(file, `${LOG}${'x'.repeat(10_000)}\n`);
    await truncate(file, 64 << 20);
    const tty = memoryIo(true);
    const pipe = memoryIo(false);
    await runPiiCli(['scan', file, '--json'], tty);
    await runPiiCli(['scan', file, '--json'], pipe);
    expect(tty.err()).toMatch(/\rpii: scanning .*% \(\d+\/64 MiB\)/);
    expect(pipe.err()).not.toContain('scanning');
  });

  describe('gzip, standard input and binary input', () => {
    const plainSpans = async () => {
      const io = memoryIo();
      await runPiiCli(['scan', file, '--json'], io);
      return io.out();
    };

    it.each(['app.log.gz', 'app.log'])('scans gzip content as the text inside it (sniffed, not named: %s)', async (name) => {
      const gz = join(dir, `z-${name}`);
      await writeFile(gz, gzipSync(Buffer.from(LOG)));
      const io = memoryIo();
      expect(await runPiiCli(['scan', gz, '--json'], io)).toBe(0);
      expect(io.out()).toBe(await plainSpans());
      expect(io.err()).toMatch(/^pii: 4 spans in /);
    });

    it('redacts gzip content into a plain redacted copy', async () => {
      const gz = join(dir, 'app.log.gz');
      const out = join(dir, 'clean.log');
      await writeFile(gz, gzipSync(Buffer.from(LOG)));
      expect(await runPiiCli(['redact', gz, '-o', out], memoryIo())).toBe(0);
      expect(await readFile(out, 'utf8')).toBe('login [Email] from [IPv4]\nGrüße: [Password] host [Hostname]\n');
    });

    it.each([
      ['plain', Buffer.from(LOG)],
      ['gzip', gzipSync(Buffer.from(LOG))],
    ])('reads standard input for - (%s)', async (_kind, input) => {
      const io = memoryIo(false, input);
      expect(await runPiiCli(['scan', '-', '--json'], io)).toBe(0);
      expect(io.out()).toBe(await plainSpans());
      expect(io.err()).toMatch(/^pii: 4 spans in standard input\n/);
    });

    it.each([
      ['a PDF', Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.from(LOG)]), 'the content is pdf, not text'],
      ['a zip', Buffer.concat([Buffer.from('PK\u0003\u0004', 'latin1'), Buffer.from(LOG)]), 'the content is zip, not text'],
      ['UTF-16 text', Buffer.from(LOG, 'utf16le'), 'the content is binary (it contains NUL bytes)'],
      ['gzip holding binary', gzipSync(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2])), 'the content is elf, not text'],
    ])('refuses %s with a clear message and exit code 1', async (_what, bytes, reason) => {
      const bin = join(dir, 'input.log');
      await writeFile(bin, bytes);
      const io = memoryIo();
      expect(await runPiiCli(['scan', bin, '--json'], io)).toBe(1);
      expect(io.err()).toBe(`pii: ${bin}: refusing binary input: ${reason}; pii reads text logs, plain or gzip-compressed\n`);
      expect(io.out()).toBe('');
      const stdin = memoryIo(false, bytes);
      expect(await runPiiCli(['scan', '-'], stdin)).toBe(1);
      expect(stdin.err()).toContain('pii: standard input: refusing binary input');
    });

    it('says a damaged gzip file is not valid gzip, with exit code 1', async () => {
      const bad = join(dir, 'bad.log.gz');
      await writeFile(bad, gzipSync(Buffer.from(LOG)).subarray(0, 20));
      const io = memoryIo();
      expect(await runPiiCli(['scan', bad], io)).toBe(1);
      expect(io.err()).toMatch(new RegExp(`^pii: ${bad}: not valid gzip: `));
    });

    it('refuses redact from standard input as bad usage (it reads its input twice)', async () => {
      const io = memoryIo(false, Buffer.from(LOG));
      expect(await runPiiCli(['redact', '-', '-o', join(dir, 'out.log')], io)).toBe(2);
      expect(io.err()).toContain('give a file, not - (standard input)');
    });
  });
});
