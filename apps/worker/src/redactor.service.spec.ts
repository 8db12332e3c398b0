import { createHash, randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import fc from 'fast-check';
import type { RedactableSpan } from '@tftsr/db';
import type { BlobStore } from '@tftsr/storage';
import { FsBlobStore } from '@tftsr/storage';
import { makeTempDir } from '@tftsr/test-support/temp-dir';
import { mergeApproved, RedactorService, SpansDoNotFitError } from './redactor.service';
import { ValueKeys } from '@tftsr/redaction';

const span = (start: number, end: number, pii_type = 'Email'): RedactableSpan => ({
  id: `${start}-${end}`,
  pii_type,
  start_offset: start,
  end_offset: end,
  replacement: `[${pii_type}]`,
});
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('mergeApproved', () => {
  const merged = (spans: RedactableSpan[]) => [...mergeApproved(spans)];

  it('covers every byte of overlapping spans with one replacement, taking the type first in PII_TYPE_ORDER', () => {
    expect(merged([span(10, 30, 'Email'), span(20, 40, 'URL')])).toEqual([{ start: 10, end: 40, replacement: '[URL]' }]);
  });

  it('merges touching spans, as the engine does, and drops empty ones', () => {
    expect(merged([span(0, 10, 'Email'), span(5, 5), span(10, 20, 'Phone'), span(50, 60, 'IPv4')])).toEqual([
      { start: 0, end: 20, replacement: '[Email]' },
      { start: 50, end: 60, replacement: '[IPv4]' },
    ]);
  });

  it('ranks a type it does not know after every known one', () => {
    expect(merged([span(0, 10, 'Legacy'), span(5, 15, 'Hostname')])).toEqual([{ start: 0, end: 15, replacement: '[Hostname]' }]);
  });

  it('refuses spans out of order, which it could not merge without holding them all', () => {
    expect(() => merged([span(20, 30), span(10, 15)])).toThrow(RangeError);
  });
});

describe('RedactorService', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let blobs: BlobStore;
  let sut: RedactorService;

  beforeEach(() => {
    temp = makeTempDir();
    blobs = new FsBlobStore(temp.dir, randomBytes(32));
    sut = new RedactorService(blobs, new ValueKeys(null));
  });
  afterEach(() => temp.remove());

  const store = async (content: Buffer | string) => (await blobs.write(Readable.from([Buffer.from(content)]))).path;
  const read = async (path: string) => buffer(blobs.openRead(path));
  const blobCount = () =>
    readdirSync(join(temp.dir, 'blobs'))
      .filter((d) => d !== 'tmp')
      .flatMap((d) => readdirSync(join(temp.dir, 'blobs', d))).length;

  it('writes a new blob with each approved span replaced, hashes both sides, and leaves the original as it was', async () => {
    const content = 'mail jane@example.org from 10.0.0.1 ok';
    const path = await store(content);
    const out = await sut.redact(path, [span(5, 21, 'Email'), span(27, 35, 'IPv4')], { sha256: sha256(content), spansEndAt: 35 });
    const redacted = 'mail [Email] from [IPv4] ok';
    expect((await read(out.path)).toString()).toBe(redacted);
    expect(out).toMatchObject({ size: Buffer.byteLength(redacted), originalSha256: sha256(content), redactedSha256: sha256(redacted) });
    expect((await read(path)).toString()).toBe(content);
  });

  it('hides every byte of every approved span and keeps every other byte, for any spans, overlapping or not', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 3000, unit: fc.constantFrom(...'abcdefghij') }),
        fc.array(fc.tuple(fc.nat(), fc.nat({ max: 80 })), { maxLength: 20 }),
        async (text, raw) => {
          const spans = raw
            .map(([start, length]) => span(start % text.length, Math.min(text.length, (start % text.length) + length)))
            .sort((a, b) => a.start_offset - b.start_offset);
          const out = await sut.redact(await store(text), spans, { sha256: null, spansEndAt: 0 });
          const covered = new Set(
            spans.flatMap((s) => Array.from({ length: s.end_offset - s.start_offset }, (_, i) => s.start_offset + i)),
          );
          const kept = [...text].filter((_, i) => !covered.has(i)).join('');
          // The content never holds a bracket, so removing the replacements leaves exactly what was kept.
          expect((await read(out.path)).toString().replace(/\[Email\]/g, '')).toBe(kept);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses content that no longer hashes to the file’s content_hash, and leaves no blob behind', async () => {
    const path = await store('user bob@example.org');
    await expect(sut.redact(path, [span(5, 20)], { sha256: sha256('something else'), spansEndAt: 20 })).rejects.toBeInstanceOf(
      SpansDoNotFitError,
    );
    expect(blobCount()).toBe(1);
  });

  it('refuses spans that reach past the end of the content', async () => {
    const path = await store('short');
    await expect(sut.redact(path, [span(2, 4), span(30, 50)], { sha256: null, spansEndAt: 50 })).rejects.toThrow(/past the end/);
    expect(blobCount()).toBe(1);
  });
});
