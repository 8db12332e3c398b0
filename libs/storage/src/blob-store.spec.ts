import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import fc from 'fast-check';
import { makeTempDir } from '@tftsr/test-support/temp-dir';
import { BlobIntegrityError, CHUNK_SIZE, HEADER_SIZE, TAG_SIZE, withoutServerPaths } from './blob-format';
import { BlobStore } from './blob-store';

const KEY = randomBytes(32);

describe('BlobStore', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let sut: BlobStore;

  beforeEach(() => {
    temp = makeTempDir();
    sut = new BlobStore(temp.dir, KEY);
  });
  afterEach(() => temp.remove());

  const roundTrip = async (plain: Buffer, pieces = 1) => {
    const step = Math.max(1, Math.ceil(plain.length / pieces));
    const parts = Array.from({ length: Math.ceil(plain.length / step) }, (_, i) => plain.subarray(i * step, (i + 1) * step));
    const stored = await sut.write(Readable.from(parts));
    return { stored, back: await buffer(sut.openRead(stored.path)) };
  };

  it('reads back exactly what was written, for any size and any way the input is cut', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 3 * CHUNK_SIZE + 10 }), fc.integer({ min: 1, max: 9 }), async (size, pieces) => {
        const plain = randomBytes(size);
        const { stored, back } = await roundTrip(plain, pieces);
        expect(stored.size).toBe(size);
        expect(back.equals(plain)).toBe(true);
      }),
      { numRuns: 25 },
    );
  });

  it('keeps no plaintext on disk', async () => {
    const plain = Buffer.from('password=hunter2 '.repeat(10_000));
    const { stored } = await roundTrip(plain);
    const raw = readFileSync(join(temp.dir, stored.path));
    expect(raw.includes(Buffer.from('hunter2'))).toBe(false);
  });

  it('names files itself, under blobs/, whatever the upload was called', async () => {
    const { stored } = await roundTrip(Buffer.from('x'));
    expect(stored.path).toMatch(/^blobs\/[0-9a-f]{2}\/[0-9a-f-]{36}\.blob$/);
  });

  it.each([
    ['a flipped byte in a chunk', (raw: Buffer) => (raw[HEADER_SIZE + 10] ^= 1)],
    ['a flipped byte in the header', (raw: Buffer) => (raw[HEADER_SIZE - 3] ^= 1)],
  ])('detects %s when it is read', async (_, damage) => {
    const { stored } = await roundTrip(randomBytes(2 * CHUNK_SIZE + 5));
    const path = join(temp.dir, stored.path);
    const raw = readFileSync(path);
    damage(raw);
    writeFileSync(path, raw);
    await expect(buffer(sut.openRead(stored.path))).rejects.toBeInstanceOf(BlobIntegrityError);
  });

  it('detects a file truncated at a chunk boundary, and chunks swapped', async () => {
    const { stored } = await roundTrip(randomBytes(3 * CHUNK_SIZE));
    const path = join(temp.dir, stored.path);
    const raw = readFileSync(path);
    const sealed = CHUNK_SIZE + TAG_SIZE;
    writeFileSync(path, raw.subarray(0, HEADER_SIZE + 2 * sealed));
    await expect(buffer(sut.openRead(stored.path))).rejects.toBeInstanceOf(BlobIntegrityError);
    const swapped = Buffer.concat([raw.subarray(0, HEADER_SIZE), raw.subarray(HEADER_SIZE + sealed, HEADER_SIZE + 2 * sealed), raw.subarray(HEADER_SIZE, HEADER_SIZE + sealed), raw.subarray(HEADER_SIZE + 2 * sealed)]);
    writeFileSync(path, swapped);
    await expect(buffer(sut.openRead(stored.path))).rejects.toBeInstanceOf(BlobIntegrityError);
  });

  it('reads from any offset, across the boundaries of its multi-chunk reads, and nothing past the end', async () => {
    const plain = randomBytes(40 * CHUNK_SIZE + 123);
    const { stored, back } = await roundTrip(plain, 3);
    expect(back.equals(plain)).toBe(true);
    const from = async (start: number) => {
      const chunks: Buffer[] = [];
      for await (const chunk of sut.readFrom(stored.path, start)) chunks.push(chunk);
      return Buffer.concat(chunks);
    };
    for (const start of [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, 16 * CHUNK_SIZE - 1, 16 * CHUNK_SIZE + 7, 33 * CHUNK_SIZE, plain.length - 1]) {
      expect((await from(start)).equals(plain.subarray(start))).toBe(true);
    }
    expect((await from(plain.length)).length).toBe(0);
    expect((await from(plain.length + 10 * CHUNK_SIZE)).length).toBe(0);
    expect((await buffer(sut.openRead((await sut.write(Readable.from([]))).path))).length).toBe(0);
  });

  it('detects a file cut inside a chunk, or after its header, at any read size', async () => {
    const { stored } = await roundTrip(randomBytes(20 * CHUNK_SIZE));
    const path = join(temp.dir, stored.path);
    const raw = readFileSync(path);
    for (const cut of [HEADER_SIZE, HEADER_SIZE + 10, HEADER_SIZE + 17 * (CHUNK_SIZE + TAG_SIZE) + 100, raw.length - 1]) {
      writeFileSync(path, raw.subarray(0, cut));
      await expect(buffer(sut.openRead(stored.path))).rejects.toBeInstanceOf(BlobIntegrityError);
    }
  });

  it('cannot be read with another key, and reads again after rewrapping under a new one', async () => {
    const plain = randomBytes(CHUNK_SIZE + 1);
    const { stored } = await roundTrip(plain);
    const newKey = randomBytes(32);
    await expect(buffer(new BlobStore(temp.dir, newKey).openRead(stored.path))).rejects.toBeInstanceOf(BlobIntegrityError);
    expect(await sut.rewrapAll(newKey)).toBe(1);
    expect((await buffer(new BlobStore(temp.dir, newKey).openRead(stored.path))).equals(plain)).toBe(true);
  });

  it('leaves nothing behind when the source fails midway', async () => {
    const failing = new Transform({
      transform(chunk, _e, done) {
        done(new Error('client went away'));
      },
    });
    await expect(sut.write(Readable.from([Buffer.alloc(10)]), [failing])).rejects.toThrow('client went away');
    expect((await sut.sweepTemp()).removed).toBe(0);
  });

  it('refuses a path outside the blob store', () => {
    expect(() => sut.openRead('../../etc/passwd')).toThrow(/outside the blob store/);
  });

  it('hashes the same when read back as the plaintext did', async () => {
    const plain = randomBytes(200_000);
    const { back } = await roundTrip(plain, 7);
    expect(createHash('sha256').update(back).digest('hex')).toBe(createHash('sha256').update(plain).digest('hex'));
  });
});

describe('withoutServerPaths', () => {
  it('keeps a blob path in its stored form and hides every other absolute path, leaving URLs alone', () => {
    expect(withoutServerPaths("ENOENT: no such file or directory, open '/srv/data/blobs/3f/abc.blob'")).toBe("ENOENT: no such file or directory, open 'blobs/3f/abc.blob'");
    expect(withoutServerPaths('Cannot find module /usr/lib/x.js (at /a/b)')).toBe('Cannot find module <server path> (at <server path>)');
    expect(withoutServerPaths('see https://example.org/a/b and blobs/3f/x.blob')).toBe('see https://example.org/a/b and blobs/3f/x.blob');
  });
});
