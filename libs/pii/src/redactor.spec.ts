import fc from 'fast-check';
import { redactBuffer, redactStream } from './redactor';
import { scanBuffer } from './scanner';

async function collect(gen: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of gen) parts.push(b);
  return Buffer.concat(parts);
}

async function* chunked(buf: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

const text = Buffer.from('user=bob@example.com from 10.0.0.1 — Jürgen called +1 (555) 123-4567\n');

describe('redactBuffer', () => {
  it('replaces each span with its replacement', () => {
    const sut = redactBuffer(text, scanBuffer(text));
    expect(sut.toString()).toBe('user=[Email] from [IPv4] — Jürgen called [Phone]\n');
  });

  it('rejects overlapping spans', () => {
    expect(() =>
      redactBuffer(text, [
        { start: 0, end: 10, replacement: 'x' },
        { start: 5, end: 12, replacement: 'y' },
      ]),
    ).toThrow(RangeError);
  });
});

describe('redactStream', () => {
  it('gives the same bytes as redactBuffer for any chunking', async () => {
    const spans = scanBuffer(text);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: text.length }), async (size) => {
        expect(await collect(redactStream(chunked(text, size), spans))).toEqual(redactBuffer(text, spans));
      }),
    );
  });

  it('leaves no byte of a span visible when the span crosses chunks', async () => {
    const spans = [{ start: 5, end: 20, replacement: '[Email]' }];
    const out = await collect(redactStream(chunked(text, 3), spans));
    expect(out.toString()).toBe(`user=[Email]${text.subarray(20).toString()}`);
  });

  it('accepts spans from an async source and rejects unsorted ones', async () => {
    async function* spans() {
      yield { start: 30, end: 34, replacement: '[IPv4]' };
      yield { start: 0, end: 4, replacement: '[X]' };
    }
    await expect(collect(redactStream(chunked(text, 8), spans()))).rejects.toThrow(RangeError);
  });
});
