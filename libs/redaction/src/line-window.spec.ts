import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { BlobStore } from '@tftsr/storage';
import { FsBlobStore, CHUNK_SIZE } from '@tftsr/storage';
import { makeTempDir } from '@tftsr/test-support/temp-dir';
import { findAll, lineAt } from './find-bytes';
import { readLines } from './line-window';

/** Windows and searches over real encrypted blobs, with content that crosses 64 KiB chunk boundaries. */
describe('reading lines and finding literals in a stored file', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let blobs: BlobStore;

  beforeAll(() => {
    temp = makeTempDir();
    blobs = new FsBlobStore(temp.dir, randomBytes(32));
  });
  afterAll(() => temp.remove());

  const store = async (content: string) => (await blobs.write(Readable.from([Buffer.from(content)]))).path;
  // Lines of random length (some longer than a chunk), some with multi-byte characters.
  const content = fc
    .array(fc.oneof(fc.string({ maxLength: 80 }), fc.constant('x'.repeat(CHUNK_SIZE + 17)), fc.constant('é€ secret=abc')), {
      minLength: 1,
      maxLength: 40,
    })
    .map((lines) => lines.map((l) => l.replace(/\n/g, ' ')).join('\n'));

  it('returns exactly the lines [from, from + count) with their byte offsets, from any starting line', async () => {
    await fc.assert(
      fc.asyncProperty(content, fc.nat(45), fc.integer({ min: 1, max: 10 }), async (text, fromIndex, count) => {
        const path = await store(text);
        // A file's lines as wc -l counts them: an empty file has none, and a final line feed starts no new line.
        const lines = text === '' ? [] : text.split('\n');
        if (text.endsWith('\n')) lines.pop();
        const from = fromIndex + 1;
        const got = await readLines(blobs, path, { line: 1, byte: 0 }, from, count);
        const expected = lines.slice(from - 1, from - 1 + count);
        expect(got.map((l) => l.bytes.toString())).toEqual(
          expected.map((l) =>
            Buffer.from(l)
              .subarray(0, 256 * 1024)
              .toString(),
          ),
        );
        for (const line of got) {
          const start = Buffer.byteLength(
            lines
              .slice(0, line.number - 1)
              .map((l) => `${l}\n`)
              .join(''),
          );
          expect([line.byte_start, line.byte_end]).toEqual([start, start + Buffer.byteLength(lines[line.number - 1])]);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('finds every non-overlapping occurrence of a literal, also across chunk boundaries, with its line', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 6 }), async (shift, repeats) => {
        const needle = 'tenant-acme-7';
        const filler = 'a'.repeat(CHUNK_SIZE - shift - 5);
        const text = Array.from({ length: repeats }, (_, i) => `${filler}\nline ${i} ${needle}${needle} end`).join('\n');
        const path = await store(text);
        const found = await findAll(blobs, path, Buffer.from(needle), 1000);
        const buf = Buffer.from(text);
        const expected: { start: number; line: number }[] = [];
        for (let i = buf.indexOf(needle); i !== -1; i = buf.indexOf(needle, i + needle.length)) {
          expected.push({ start: i, line: buf.subarray(0, i).toString().split('\n').length });
        }
        expect(found).toEqual(expected);
        for (const f of found) expect(await lineAt(blobs, path, { line: 1, byte: 0 }, f.start)).toBe(f.line);
      }),
      { numRuns: 25 },
    );
  });

  it('stops after max occurrences', async () => {
    const path = await store('ab '.repeat(100));
    expect(await findAll(blobs, path, Buffer.from('ab'), 7)).toHaveLength(7);
  });
});
