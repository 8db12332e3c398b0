import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import fc from 'fast-check';
import type { TestS3 } from '@tftsr/test-support/s3-server';
import { startTestS3 } from '@tftsr/test-support/s3-server';
import { makeTempDir } from '@tftsr/test-support/temp-dir';
import { BlobIntegrityError, CHUNK_SIZE, HEADER_SIZE, TAG_SIZE, withoutServerPaths } from './blob-format';
import type { BlobStore } from './blob-store';
import { FsBlobStore } from './fs-blob-store';
import { closeBlobStore } from './open-blob-store';
import { S3BlobStore } from './s3-blob-store';

const KEY = randomBytes(32);

/** Each store under test: how to open it, and where its ciphertext lies on this machine's disk (to damage it). */
interface StoreUnderTest {
  open(key: Buffer): BlobStore;
  rawFile(path: string): string;
}

let s3: TestS3;
let prefixes = 0;
beforeAll(async () => {
  s3 = await startTestS3();
});
afterAll(() => s3.close());

const STORES: [string, (dir: string) => StoreUnderTest][] = [
  ['filesystem', (dir) => ({ open: (key) => new FsBlobStore(dir, key), rawFile: (path) => join(dir, path) })],
  [
    'S3 (s3rver)',
    () => {
      const prefix = `t${++prefixes}/`;
      return { open: (key) => new S3BlobStore(s3.settings(prefix), key), rawFile: (path) => s3.objectFile(`${prefix}${path}`) };
    },
  ],
];

describe.each(STORES)('BlobStore on %s', (_name, storeFor) => {
  let temp: ReturnType<typeof makeTempDir>;
  let store: StoreUnderTest;
  let sut: BlobStore;
  const opened: BlobStore[] = [];
  const open = (key: Buffer) => {
    const blobs = store.open(key);
    opened.push(blobs);
    return blobs;
  };

  beforeEach(() => {
    temp = makeTempDir();
    store = storeFor(temp.dir);
    sut = open(KEY);
  });
  afterEach(() => {
    opened.splice(0).forEach(closeBlobStore);
    temp.remove();
  });

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
    const raw = readFileSync(store.rawFile(stored.path));
    expect(raw.length).toBeGreaterThan(plain.length);
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
    const path = store.rawFile(stored.path);
    const raw = readFileSync(path);
    damage(raw);
    writeFileSync(path, raw);
    await expect(buffer(sut.openRead(stored.path))).rejects.toBeInstanceOf(BlobIntegrityError);
  });

  it('detects a file truncated at a chunk boundary, and chunks swapped', async () => {
    const { stored } = await roundTrip(randomBytes(3 * CHUNK_SIZE));
    const path = store.rawFile(stored.path);
    const raw = readFileSync(path);
    const sealed = CHUNK_SIZE + TAG_SIZE;
    writeFileSync(path, raw.subarray(0, HEADER_SIZE + 2 * sealed));
    await expect(buffer(sut.openRead(stored.path))).rejects.toBeInstanceOf(BlobIntegrityError);
    const swapped = Buffer.concat([
      raw.subarray(0, HEADER_SIZE),
      raw.subarray(HEADER_SIZE + sealed, HEADER_SIZE + 2 * sealed),
      raw.subarray(HEADER_SIZE, HEADER_SIZE + sealed),
      raw.subarray(HEADER_SIZE + 2 * sealed),
    ]);
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
    const path = store.rawFile(stored.path);
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
    await expect(buffer(open(newKey).openRead(stored.path))).rejects.toBeInstanceOf(BlobIntegrityError);
    expect(await sut.rewrapAll(newKey)).toBe(1);
    expect((await buffer(open(newKey).openRead(stored.path))).equals(plain)).toBe(true);
  });

  it('leaves nothing behind when the source fails midway', async () => {
    const failing = new Transform({
      transform(chunk, _e, done) {
        done(new Error('client went away'));
      },
    });
    await expect(sut.write(Readable.from([Buffer.alloc(10)]), [failing])).rejects.toThrow('client went away');
    expect((await sut.sweepTemp()).removed).toBe(0);
    const left = [];
    for await (const blob of sut.listStored()) left.push(blob);
    for await (const blob of sut.listTemporary()) left.push(blob);
    expect(left).toEqual([]);
  });

  it('refuses a path outside the blob store', async () => {
    await expect((async () => buffer(sut.openRead('../../etc/passwd')))()).rejects.toThrow(/outside the blob store/);
  });

  it('lists, copies as stored, stores again under the same name, and removes', async () => {
    const plain = randomBytes(3 * CHUNK_SIZE + 7);
    const { stored } = await roundTrip(plain);
    const listed = [];
    for await (const blob of sut.listStored()) listed.push(blob);
    expect(listed.map((b) => [b.path, b.size])).toEqual([[stored.path, HEADER_SIZE + 4 * TAG_SIZE + plain.length]]);
    const raw = await buffer((await sut.openStored(stored.path))!);
    await sut.remove(stored.path);
    expect([await sut.exists(stored.path), await sut.openStored(stored.path)]).toEqual([false, null]);
    await sut.putStored(stored.path, Readable.from([raw]));
    expect((await buffer(sut.openRead(stored.path))).equals(plain)).toBe(true);
  });

  it('hashes the same when read back as the plaintext did', async () => {
    const plain = randomBytes(200_000);
    const { back } = await roundTrip(plain, 7);
    expect(createHash('sha256').update(back).digest('hex')).toBe(createHash('sha256').update(plain).digest('hex'));
  });
});

describe('withoutServerPaths', () => {
  it('keeps a blob path in its stored form and hides every other absolute path, leaving URLs alone', () => {
    expect(withoutServerPaths("ENOENT: no such file or directory, open '/srv/data/blobs/3f/abc.blob'")).toBe(
      "ENOENT: no such file or directory, open 'blobs/3f/abc.blob'",
    );
    expect(withoutServerPaths('Cannot find module /usr/lib/x.js (at /a/b)')).toBe('Cannot find module <server path> (at <server path>)');
    expect(withoutServerPaths('see https://example.org/a/b and blobs/3f/x.blob')).toBe('see https://example.org/a/b and blobs/3f/x.blob');
  });
});

describe('S3BlobStore', () => {
  let s3: TestS3;
  let sut: S3BlobStore;

  beforeAll(async () => {
    s3 = await startTestS3('tftsr-s3-only');
  });
  afterAll(() => s3.close());
  beforeEach(() => {
    s3.cutAfter(0);
    s3.flipAt(0);
    sut = new S3BlobStore(s3.settings(`m${Date.now()}/`), KEY);
  });
  afterEach(() => sut.destroy());

  const listed = async () => {
    const out = [];
    for await (const blob of sut.listStored()) out.push(blob.path);
    return out;
  };

  it('uploads a large blob in parts, verified, and reads it back', async () => {
    const plain = randomBytes(12 * 1024 * 1024 + 3);
    const stored = await sut.write(Readable.from([plain.subarray(0, 7_000_000), plain.subarray(7_000_000)]));
    expect((await buffer(sut.openRead(stored.path))).equals(plain)).toBe(true);
    expect(await listed()).toEqual([stored.path]);
  });

  it('fails the write, and leaves no object, when the store drops the upload midway', async () => {
    s3.cutAfter(1024 * 1024);
    const write = sut.write(Readable.from([randomBytes(11 * 1024 * 1024)]));
    await expect(write).rejects.toMatchObject({ name: 'BlobStoreUnavailableError', code: 'BLOB_STORE_UNAVAILABLE' });
    s3.cutAfter(0);
    expect(await listed()).toEqual([]);
  });

  it('fails the write, and deletes the object, when what the store kept is not what was sent', async () => {
    // s3rver does not check Content-MD5 (AWS S3, MinIO and Ceph refuse such a part at once): the ETag check catches it.
    s3.flipAt(100_000);
    const write = sut.write(Readable.from([randomBytes(300_000)]));
    await expect(write).rejects.toThrow(/did not keep blobs\/.* whole: its ETag \w+ is not the MD5 of what was sent/);
    s3.flipAt(0);
    expect(await listed()).toEqual([]);
  });

  it('refuses to start on a bucket that does not exist, naming it and not the credentials', async () => {
    const missing = new S3BlobStore({ ...s3.settings(), bucket: 'no-such-bucket' }, KEY);
    try {
      const failure = await missing.probe().then(
        () => null,
        (err: Error) => err.message,
      );
      expect(failure).toMatch(/s3:\/\/no-such-bucket\/blobs\/ .*cannot be used/);
      expect(failure).not.toContain('S3RVER');
    } finally {
      missing.destroy();
    }
  });
});
