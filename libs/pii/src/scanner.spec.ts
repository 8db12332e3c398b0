import fc from 'fast-check';
import { Readable } from 'node:stream';
import { generateCorpus } from './corpus/corpus-generator';
import { PiiConfigError } from './engine';
import type { PiiConfig, PiiSpan } from './pii-types';
import { PII_TYPE_ORDER } from './pii-types';
import { scanBuffer, scanStream, StreamScanner } from './scanner';

async function streamed(bytes: Buffer, chunkSizes: number[], windowBytes: number, config: PiiConfig = {}): Promise<PiiSpan[]> {
  async function* chunks() {
    for (let i = 0, k = 0; i < bytes.length; k++) {
      const size = chunkSizes[k % chunkSizes.length];
      yield bytes.subarray(i, i + size);
      i += size;
    }
  }
  const out: PiiSpan[] = [];
  for await (const span of scanStream(chunks(), config, { windowBytes })) out.push(span);
  return out;
}

const longPem = (): string => {
  const lines = Array.from(
    { length: 180 },
    (_, i) => `${'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'.slice(i % 8)}${'A'.repeat(i % 8)}`,
  );
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----`;
};

describe('scanBuffer', () => {
  it('reports UTF-8 byte offsets after multi-byte characters', () => {
    const text = 'Grüße von Jürgen 东京 😀 → bob@example.com, naïve 10.1.2.3';
    const bytes = Buffer.from(text, 'utf8');
    const sut = scanBuffer(bytes);
    expect(sut.map((s) => [s.pii_type, s.start, s.end])).toEqual([
      ['Email', bytes.indexOf('bob@example.com'), bytes.indexOf('bob@example.com') + 15],
      ['IPv4', bytes.indexOf('10.1.2.3'), bytes.length],
    ]);
    expect(bytes.indexOf('bob@example.com')).not.toBe(text.indexOf('bob@example.com'));
    expect(sut[0].original.toString()).toBe('bob@example.com');
  });

  it('scans bytes that are not valid UTF-8 and returns the original bytes', () => {
    const bytes = Buffer.concat([
      Buffer.from([0xff, 0xfe, 0xc3]),
      Buffer.from(' caf\xe9 ', 'latin1'),
      Buffer.from('ops@example.org\xff', 'latin1'),
    ]);
    const [span] = scanBuffer(bytes);
    expect(span).toMatchObject({ pii_type: 'Email', start: 9, end: 24 });
    expect(span.original).toEqual(Buffer.from('ops@example.org'));
  });

  it('gives each span the replacement of its type', () => {
    expect(scanBuffer(Buffer.from('ssn 123-45-6789')).map((s) => s.replacement)).toEqual(['[SSN]']);
  });

  it('only reports enabled types', () => {
    const bytes = Buffer.from('bob@example.com on db-01.example.com from 10.0.0.1 +1 (555) 123-4567');
    expect(scanBuffer(bytes, { enabledTypes: ['IPv4', 'Phone'] }).map((s) => s.pii_type)).toEqual(['IPv4', 'Phone']);
  });

  it('still reports the host of an email when Email is off and Hostname is on', () => {
    const bytes = Buffer.from('bob@example.com');
    expect(scanBuffer(bytes, { enabledTypes: ['Hostname'] }).map((s) => s.original.toString())).toEqual(['example.com']);
  });

  it('rejects an unknown type in the config', () => {
    expect(() => scanBuffer(Buffer.from('x'), { enabledTypes: ['Emial' as never] })).toThrow(PiiConfigError);
  });

  it('never flags an allow-listed value, compared without case', () => {
    const bytes = Buffer.from('from 127.0.0.1 and 10.0.0.1 via Example.COM and password=hunter2');
    const sut = scanBuffer(bytes, { allowList: ['127.0.0.1', 'example.com', 'hunter2'] });
    expect(sut.map((s) => s.original.toString())).toEqual(['10.0.0.1']);
  });

  it('leaves an allow-listed value whole: no detection inside it is reported', () => {
    const bytes = Buffer.from('mail ops@example.com and jane@example.com, host api.example.com');
    const sut = scanBuffer(bytes, { allowList: ['ops@example.com'] });
    expect(sut.map((s) => s.original.toString())).toEqual(['jane@example.com', 'api.example.com']);
  });

  it("reports a disabled type's bytes under no other name", () => {
    const bytes = Buffer.from('dsn=postgres://app:s3cret@db.example.com/prod');
    expect(scanBuffer(bytes, { enabledTypes: ['Hostname'] }).map((s) => s.original.toString())).toEqual(['db.example.com']);
  });

  it('puts every detection of every type alone inside a reported span', () => {
    const { bytes } = generateCorpus({ seed: 5, targetBytes: 200_000 });
    const all = scanBuffer(bytes);
    for (const type of ['Email', 'Hostname', 'IPv4', 'Password', 'JWT', 'ApiKey'] as const) {
      for (const alone of scanBuffer(bytes, { enabledTypes: [type] })) {
        expect(all.some((s) => s.start <= alone.start && s.end >= alone.end)).toBe(true);
      }
    }
  });
});

describe('scanStream', () => {
  it('finds a PEM block that crosses window and chunk boundaries exactly once', async () => {
    const pem = longPem();
    const bytes = Buffer.from(`${'x'.repeat(5000)}\nkey:\n${pem}\n${'y'.repeat(3000)} bob@example.com`);
    const sut = await streamed(bytes, [777], 4096);
    expect(sut.map((s) => [s.pii_type, s.original.toString()])).toEqual([
      ['PrivateKey', pem],
      ['Email', 'bob@example.com'],
    ]);
  });

  it('accepts a Readable of strings', async () => {
    const out: string[] = [];
    for await (const span of scanStream(Readable.from(['mail bob@exa', 'mple.com now']))) out.push(span.original.toString());
    expect(out).toEqual(['bob@example.com']);
  });

  it('equals a whole-buffer scan for any chunk and window sizes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.integer({ min: 1, max: 1_000_000 }),
          size: fc.integer({ min: 500, max: 40_000 }),
          pemAt: fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
          noise: fc.uint8Array({ maxLength: 32 }),
          chunkSizes: fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 1, maxLength: 8 }),
          windowBytes: fc.integer({ min: 256, max: 40_000 }),
        }),
        async ({ seed, size, pemAt, noise, chunkSizes, windowBytes }) => {
          let bytes = Buffer.concat([generateCorpus({ seed, targetBytes: size }).bytes, Buffer.from(noise)]);
          if (pemAt !== null) {
            const at = Math.floor(pemAt * bytes.length);
            bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(`\n${longPem()}\n`), bytes.subarray(at)]);
          }
          const whole = scanBuffer(bytes, {}, { windowBytes: Infinity });
          const sut = await streamed(bytes, chunkSizes, windowBytes);
          expect(sut).toEqual(whole);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('handles a window of a single byte', async () => {
    const { bytes } = generateCorpus({ seed: 3, targetBytes: 30_000 });
    expect(await streamed(bytes, [4096], 1)).toEqual(scanBuffer(bytes));
  });

  it('closes the source when the consumer stops early', async () => {
    let closed = false;
    async function* source() {
      try {
        for (;;) yield Buffer.from('mail bob@example.com\n'.repeat(100_000));
      } finally {
        closed = true;
      }
    }
    for await (const span of scanStream(source())) {
      expect(span.pii_type).toBe('Email');
      break;
    }
    expect(closed).toBe(true);
  });

  it('yields nothing for empty input', async () => {
    expect(await streamed(Buffer.alloc(0), [1], 10)).toEqual([]);
  });
});

describe("StreamScanner.pushTo (the CLI's sink path)", () => {
  /** Every span the sink is handed, as a PiiSpan, its bytes copied while the scanner hands it over. */
  function sunk(bytes: Buffer, chunkSizes: number[], windowBytes: number, config: PiiConfig = {}): PiiSpan[] {
    const scanner = new StreamScanner(config, windowBytes);
    const out: PiiSpan[] = [];
    const sink = (type: number, start: number, end: number, replacement: string, rule: string | undefined) => {
      const span: PiiSpan = { pii_type: PII_TYPE_ORDER[type], start, end, replacement, original: scanner.original(start, end) };
      if (rule !== undefined) span.rule = rule;
      out.push(span);
    };
    for (let i = 0, k = 0; i < bytes.length; k++) {
      const size = chunkSizes[k % chunkSizes.length];
      scanner.pushTo(bytes.subarray(i, i + size), sink);
      i += size;
    }
    scanner.endTo(sink);
    return out;
  }

  it('hands over the same spans, bytes and custom-rule names as a whole-buffer scan, for any chunk and window sizes', () => {
    const config: PiiConfig = { customRules: [{ name: 'employee', pattern: 'EMP-[0-9]{6}', replacement: '[EMPLOYEE]' }] };
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer({ min: 1, max: 1_000_000 }),
          size: fc.integer({ min: 500, max: 40_000 }),
          planted: fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 999_999 })), { maxLength: 6 }),
          noise: fc.uint8Array({ maxLength: 32 }),
          chunkSizes: fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 1, maxLength: 8 }),
          windowBytes: fc.integer({ min: 256, max: 40_000 }),
        }),
        ({ seed, size, planted, noise, chunkSizes, windowBytes }) => {
          let bytes = Buffer.concat([generateCorpus({ seed, targetBytes: size }).bytes, Buffer.from(noise)]);
          for (const [where, id] of planted) {
            const at = Math.floor(where * bytes.length);
            bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(` EMP-${String(id).padStart(6, '0')} `), bytes.subarray(at)]);
          }
          const whole = scanBuffer(bytes, config, { windowBytes: Infinity });
          expect(sunk(bytes, chunkSizes, windowBytes, config)).toEqual(whole);
        },
      ),
      { numRuns: 40 },
    );
  });
});
