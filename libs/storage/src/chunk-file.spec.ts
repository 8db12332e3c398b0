import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CHUNK_FILE_HEADER_SIZE,
  CHUNK_RECORD_OVERHEAD,
  ChunkFileDamagedError,
  ChunkFiles,
  encodeChunkFileHeader,
  openChunkRecords,
  sealChunkRecord,
} from './chunk-file';

const CHUNK = 'chunk-a';

/** A file as ChunkFiles writes it: a header, then records sealed at their offsets. */
function fileOf(key: Buffer, chunkId: string, plains: string[]): Buffer {
  const parts = [encodeChunkFileHeader(chunkId, key, randomBytes(32))];
  let at = CHUNK_FILE_HEADER_SIZE;
  for (const plain of plains) {
    const record = sealChunkRecord(key, chunkId, at, Buffer.from(plain));
    parts.push(record);
    at += record.length;
  }
  return Buffer.concat(parts);
}

describe('chunk file records', () => {
  const key = randomBytes(32);

  it('opens what it sealed, in order', () => {
    const bytes = fileOf(key, CHUNK, ['one\n', 'two\nthree\n', '']);
    expect(openChunkRecords(key, CHUNK, bytes).map((b) => b.toString())).toEqual(['one\n', 'two\nthree\n', '']);
    expect(bytes.length).toBe(CHUNK_FILE_HEADER_SIZE + 3 * CHUNK_RECORD_OVERHEAD + 14);
  });

  it('detects an altered byte, in the ciphertext, the tag or the length', () => {
    const bytes = fileOf(key, CHUNK, ['secret line\n', 'another\n']);
    for (const at of [CHUNK_FILE_HEADER_SIZE + 20, CHUNK_FILE_HEADER_SIZE + CHUNK_RECORD_OVERHEAD + 5, CHUNK_FILE_HEADER_SIZE + 3]) {
      const tampered = Buffer.from(bytes);
      tampered[at] ^= 1;
      expect(() => openChunkRecords(key, CHUNK, tampered)).toThrow(/fails authentication|truncated/);
    }
  });

  it('detects records swapped within a file', () => {
    const bytes = fileOf(key, CHUNK, ['aaaa\n', 'bbbb\n']);
    const size = CHUNK_RECORD_OVERHEAD + 5;
    const first = bytes.subarray(CHUNK_FILE_HEADER_SIZE, CHUNK_FILE_HEADER_SIZE + size);
    const second = bytes.subarray(CHUNK_FILE_HEADER_SIZE + size);
    const swapped = Buffer.concat([bytes.subarray(0, CHUNK_FILE_HEADER_SIZE), second, first]);
    expect(() => openChunkRecords(key, CHUNK, swapped)).toThrow(`record at ${CHUNK_FILE_HEADER_SIZE} fails authentication`);
  });

  it('detects a record moved into another chunk, even under the same key', () => {
    const other = fileOf(key, 'chunk-b', ['from b\n']);
    expect(() => openChunkRecords(key, CHUNK, other)).toThrow(/fails authentication/);
  });

  it('detects a file cut inside a record', () => {
    const bytes = fileOf(key, CHUNK, ['one\n', 'two\n']);
    for (const cut of [1, CHUNK_RECORD_OVERHEAD - 2, CHUNK_RECORD_OVERHEAD + 3]) {
      expect(() => openChunkRecords(key, CHUNK, bytes.subarray(0, bytes.length - cut))).toThrow(/truncated/);
    }
  });

  it('detects a record dropped from the middle', () => {
    const bytes = fileOf(key, CHUNK, ['one\n', 'two\n', 'three\n']);
    const size = CHUNK_RECORD_OVERHEAD + 4;
    const dropped = Buffer.concat([
      bytes.subarray(0, CHUNK_FILE_HEADER_SIZE),
      bytes.subarray(CHUNK_FILE_HEADER_SIZE + size, CHUNK_FILE_HEADER_SIZE + 2 * size),
      bytes.subarray(CHUNK_FILE_HEADER_SIZE + 2 * size),
    ]);
    expect(() => openChunkRecords(key, CHUNK, dropped)).toThrow(/fails authentication/);
  });
});

describe('ChunkFiles', () => {
  let dir: string;
  let files: ChunkFiles;
  const blobKey = randomBytes(32);
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tftsr-chunk-files-'));
    files = new ChunkFiles(dir, blobKey);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function written(chunkId: string, lines: string[]): Promise<number> {
    const file = await files.openForAppend(chunkId, 0);
    const start = file.size;
    const records = lines.map((l) => files.seal(file, Buffer.from(l)));
    await files.writeAndSync(file, start, records);
    await file.handle.close();
    return file.size;
  }

  it('reads back what was appended, without any plaintext on disk', async () => {
    const committed = await written('c1', ['password=hunter2\n', 'two\n']);
    expect((await files.read('c1', committed)).toString()).toBe('password=hunter2\ntwo\n');
    expect(readFileSync(files.path('c1')).includes(Buffer.from('hunter2'))).toBe(false);
  });

  it('drops a torn tail past the committed length, at recovery', async () => {
    const committed = await written('c2', ['acknowledged\n']);
    // A record whose commit never happened, then a crash in the middle of the next write.
    const file = await files.openForAppend('c2', committed);
    await files.writeAndSync(file, committed, [files.seal(file, Buffer.from('never acknowledged\n')).subarray(0, 30)]);
    await file.handle.close();
    expect(statSync(files.path('c2')).size).toBe(committed + 30);
    await files.recover('c2', committed);
    expect(statSync(files.path('c2')).size).toBe(committed);
    expect((await files.read('c2', committed)).toString()).toBe('acknowledged\n');
  });

  it('fails loudly when bytes below the committed length are missing', async () => {
    const committed = await written('c3', ['one\n', 'two\n']);
    writeFileSync(files.path('c3'), readFileSync(files.path('c3')).subarray(0, committed - 5));
    await expect(files.recover('c3', committed)).rejects.toThrow(ChunkFileDamagedError);
    await expect(files.recover('c3', committed)).rejects.toThrow(/holds \d+ bytes, \d+ are committed/);
    await expect(files.read('c3', committed)).rejects.toThrow(ChunkFileDamagedError);
  });

  it('fails loudly when the file of a committed chunk is gone', async () => {
    await expect(files.recover('gone', 200)).rejects.toThrow(/missing/);
  });

  it('rewraps the files under a new key, and a rerun changes nothing', async () => {
    const committed = await written('c4', ['kept\n']);
    const newKey = randomBytes(32);
    expect(await files.rewrapAll(newKey)).toBe(1);
    expect(await files.rewrapAll(newKey)).toBe(0);
    await expect(files.read('c4', committed)).rejects.toThrow(/does not unwrap/);
    expect((await new ChunkFiles(dir, newKey).read('c4', committed)).toString()).toBe('kept\n');
  });
});
