import type { TransformCallback } from 'node:stream';
import { pipeline, Readable, Transform } from 'node:stream';
import { createGunzip } from 'node:zlib';

/** How much of the start of a content is looked at to tell text from binary. */
export const SNIFF_BYTES = 8192;

const GZIP_MAGIC = Buffer.from([0x1f, 0x8b]);

const BINARY_MAGIC: [string, Buffer][] = [
  ['gzip', GZIP_MAGIC],
  ['zip', Buffer.from('PK\u0003\u0004', 'latin1')],
  ['pdf', Buffer.from('%PDF-', 'latin1')],
  ['png', Buffer.from([0x89, 0x50, 0x4e, 0x47])],
  ['jpeg', Buffer.from([0xff, 0xd8, 0xff])],
  ['elf', Buffer.from([0x7f, 0x45, 0x4c, 0x46])],
];

/** Why the first bytes of a file are not text, or null when they look like text. */
export function notTextReason(head: Buffer): string | null {
  for (const [name, magic] of BINARY_MAGIC) {
    if (head.length >= magic.length && head.subarray(0, magic.length).equals(magic)) return `the content is ${name}, not text`;
  }
  // Text logs have no NUL bytes; UTF-16 text does, and is refused as binary (convert it to UTF-8 first).
  if (head.includes(0)) return 'the content is binary (it contains NUL bytes)';
  return null;
}

/** Checks the first bytes of the (decompressed) content, since a name alone proves nothing; `refuse` makes the error. */
export function textSniffer(refuse: (reason: string) => Error): Transform {
  let head = Buffer.alloc(0);
  let decided = false;
  const decide = (self: Transform, done: TransformCallback) => {
    decided = true;
    const reason = notTextReason(head);
    if (reason) return done(refuse(reason));
    self.push(head);
    done();
  };
  return new Transform({
    transform(chunk: Buffer, _e, done) {
      if (decided) return done(null, chunk);
      head = Buffer.concat([head, chunk]);
      if (head.length < SNIFF_BYTES) return done();
      decide(this, done);
    },
    flush(done) {
      if (decided) return done();
      decide(this, done);
    },
  });
}

/** The content decompressed when it starts with gzip's magic bytes (whatever its name, if it has one), else as is. */
export async function* gunzipIfGzipped(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  while (head.length < GZIP_MAGIC.length) {
    const next = await it.next();
    if (next.done) {
      if (head.length > 0) yield head;
      return;
    }
    head = Buffer.concat([head, next.value]);
  }
  async function* all(): AsyncGenerator<Buffer, void> {
    yield head;
    for (let next = await it.next(); !next.done; next = await it.next()) yield next.value;
  }
  if (!head.subarray(0, GZIP_MAGIC.length).equals(GZIP_MAGIC)) return yield* all();
  const gunzip = createGunzip();
  // The source's error (a client gone, a bomb limit) reaches the loop below through gunzip.
  pipeline(Readable.from(all()), gunzip, () => undefined);
  for await (const chunk of gunzip) yield chunk as Buffer;
}
