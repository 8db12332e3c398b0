import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BlobIntegrityError, BlobUnreadableError, CHUNK_SIZE, decodeHeader, encodeHeader, HEADER_SIZE, openChunk, TAG_SIZE } from './blob-format';
import { DecryptStream, EncryptStream } from './blob-streams';
import { newTempName, STALE_TEMP_MS, TEMP_FILES_IN_USE, tempOwner } from './temp-files';

export interface StoredBlob {
  /** Relative to the data directory, e.g. `blobs/3f/0190….blob`: what `file_path` columns hold. */
  path: string;
  /** Plaintext bytes written. */
  size: number;
}

/**
 * Files under `{data_dir}/blobs/`, always encrypted (see blob-format.ts), always named by the server.
 * A write is complete or absent: it goes to `blobs/tmp/`, is fsync'd, then renamed into place.
 */
export class BlobStore {
  private readonly root: string;

  constructor(
    private readonly dataDir: string,
    private readonly wrapKey: Buffer,
  ) {
    this.root = resolve(dataDir, 'blobs');
    mkdirSync(join(this.root, 'tmp'), { recursive: true });
  }

  /** Encrypts `source` (through any `transforms`, e.g. a size limit) into a new blob, durable on return. */
  async write(source: Readable | AsyncIterable<Buffer>, transforms: Transform[] = []): Promise<StoredBlob> {
    const id = randomUUID();
    const temp = join(this.root, 'tmp', newTempName());
    const encrypt = new EncryptStream(this.wrapKey);
    TEMP_FILES_IN_USE.add(temp);
    try {
      const input = source instanceof Readable ? source : Readable.from(source);
      await pipeline([input, ...transforms, encrypt, createWriteStream(temp, { flags: 'wx', mode: 0o600 })]);
      await fsyncPath(temp);
      const finalPath = join(this.root, id.slice(0, 2), `${id}.blob`);
      mkdirSync(dirname(finalPath), { recursive: true });
      await rename(temp, finalPath);
      await fsyncPath(dirname(finalPath));
      return { path: relative(this.dataDir, finalPath).split(sep).join('/'), size: encrypt.plaintextBytes };
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    } finally {
      TEMP_FILES_IN_USE.delete(temp);
    }
  }

  /** A stream of the plaintext; it errors (BlobIntegrityError) at the first altered or missing byte. */
  openRead(path: string): Readable {
    const decrypt = new DecryptStream(this.wrapKey);
    const file = createReadStream(this.resolveInside(path), { highWaterMark: 256 * 1024 });
    file.on('error', (err: NodeJS.ErrnoException) => decrypt.destroy(new BlobUnreadableError(path, err.code)));
    return file.pipe(decrypt);
  }

  /**
   * The plaintext from byte `start` on, a chunk at a time, each authenticated: a window into a large file
   * decrypts only the chunks it reads. Stop iterating to stop reading.
   */
  async *readFrom(path: string, start: number): AsyncGenerator<Buffer> {
    const handle = await open(this.resolveInside(path), 'r');
    try {
      const { size } = await handle.stat();
      const headerBytes = Buffer.alloc(HEADER_SIZE);
      await handle.read(headerBytes, 0, HEADER_SIZE, 0);
      const header = decodeHeader(headerBytes, this.wrapKey);
      const sealedSize = CHUNK_SIZE + TAG_SIZE;
      const chunks = Math.max(1, Math.ceil((size - HEADER_SIZE) / sealedSize));
      for (let i = Math.floor(start / CHUNK_SIZE); i < chunks; i++) {
        const at = HEADER_SIZE + i * sealedSize;
        const sealed = Buffer.alloc(Math.min(sealedSize, size - at));
        const { bytesRead } = await handle.read(sealed, 0, sealed.length, at);
        if (bytesRead !== sealed.length) throw new BlobIntegrityError(`chunk ${i} is truncated`);
        const plain = openChunk(header, i, i === chunks - 1, sealed);
        yield i * CHUNK_SIZE < start ? plain.subarray(start - i * CHUNK_SIZE) : plain;
      }
    } finally {
      await handle.close();
    }
  }

  async remove(path: string): Promise<void> {
    await rm(this.resolveInside(path), { force: true });
  }

  async exists(path: string): Promise<boolean> {
    return stat(this.resolveInside(path)).then(
      () => true,
      () => false,
    );
  }

  /**
   * Rewraps every blob's file key under a new key (for `db rekey`): 68 bytes per file, fsync'd. A blob that
   * already opens under the new key is skipped, so a rekey interrupted here can simply be run again.
   */
  async rewrapAll(newWrapKey: Buffer, afterEach?: (rewrapped: number) => void): Promise<number> {
    let count = 0;
    for (const path of await this.list()) {
      const handle = await open(path, 'r+');
      try {
        const header = Buffer.alloc(HEADER_SIZE);
        await handle.read(header, 0, HEADER_SIZE, 0);
        if (opensWith(header, newWrapKey)) continue;
        await handle.write(encodeHeader(decodeHeader(header, this.wrapKey), newWrapKey), 0, HEADER_SIZE, 0);
        await handle.sync();
        count += 1;
        afterEach?.(count);
      } finally {
        await handle.close();
      }
    }
    return count;
  }

  /**
   * Removes leftovers of writes that a crash interrupted (never referenced by a row): those of a process that is
   * gone, and any untouched for STALE_TEMP_MS. A file this process or another live one is writing is left alone.
   */
  async sweepTemp(now = Date.now()): Promise<{ removed: number; bytes: number }> {
    const dir = join(this.root, 'tmp');
    let removed = 0;
    let bytes = 0;
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const path = join(dir, name);
      if (TEMP_FILES_IN_USE.has(path)) continue;
      const owner = tempOwner(name);
      const info = await stat(path).catch(() => null);
      if (!info) continue;
      const stale = now - info.mtimeMs > STALE_TEMP_MS;
      if (owner === 'gone' || owner === 'this-process' || stale) {
        await rm(path, { force: true });
        removed += 1;
        bytes += info.size;
      }
    }
    return { removed, bytes };
  }

  private async list(): Promise<string[]> {
    const out: string[] = [];
    for (const shard of await readdir(this.root, { withFileTypes: true })) {
      if (!shard.isDirectory() || shard.name === 'tmp') continue;
      for (const name of await readdir(join(this.root, shard.name))) {
        if (name.endsWith('.blob')) out.push(join(this.root, shard.name, name));
      }
    }
    return out;
  }

  /** Stored paths come from our own rows, but a row is data: never let one point outside the blob root. */
  private resolveInside(path: string): string {
    const full = resolve(this.dataDir, path);
    if (!full.startsWith(this.root + sep)) throw new Error(`blob path ${JSON.stringify(path)} is outside the blob store`);
    return full;
  }
}

function opensWith(header: Buffer, key: Buffer): boolean {
  try {
    decodeHeader(header, key);
    return true;
  } catch {
    return false;
  }
}

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
