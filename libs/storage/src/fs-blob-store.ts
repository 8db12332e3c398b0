import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { WriteStream } from 'node:fs';
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Transform } from 'node:stream';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  BlobIntegrityError,
  BlobUnreadableError,
  CHUNK_SIZE,
  chunkCount,
  decodeHeader,
  encodeHeader,
  HEADER_SIZE,
  openChunkFrom,
  SEALED_CHUNK_SIZE,
} from './blob-format';
import { EncryptStream } from './blob-streams';
import type { StoredBlob, StoredObject } from './blob-store';
import { BlobStore } from './blob-store';
import { newTempName, STALE_TEMP_MS, TEMP_FILES_IN_USE, tempOwner } from './temp-files';

/** Sealed chunks read at once (16 × 65,552 bytes ≈ 1 MiB): one read call per MiB, one buffer per open blob. */
const READ_CHUNKS = 16;

/**
 * Files under `{data_dir}/blobs/`, always encrypted (see blob-format.ts), always named by the server.
 * A write is complete or absent: it goes to `blobs/tmp/`, is fsync'd, then renamed into place.
 */
export class FsBlobStore extends BlobStore {
  private readonly root: string;
  readonly location: string;
  /** Per directory: the fsync under way, and the one queued after it that later renames join. */
  private readonly directorySyncs = new Map<string, { running: Promise<void>; next?: Promise<void> }>();

  constructor(
    private readonly dataDir: string,
    private readonly wrapKey: Buffer,
  ) {
    super();
    this.root = resolve(dataDir, 'blobs');
    this.location = this.root;
    mkdirSync(join(this.root, 'tmp'), { recursive: true, mode: 0o700 });
  }

  /** Encrypts `source` (through any `transforms`, e.g. a size limit) into a new blob, durable on return. */
  async write(source: Readable | AsyncIterable<Buffer>, transforms: Transform[] = []): Promise<StoredBlob> {
    const id = randomUUID();
    const temp = join(this.root, 'tmp', newTempName());
    const encrypt = new EncryptStream(this.wrapKey);
    TEMP_FILES_IN_USE.add(temp);
    // flush: the stream fsyncs its own descriptor before closing it, instead of the file being opened again to sync.
    const out = createWriteStream(temp, { flags: 'wx', mode: 0o600, flush: true });
    try {
      const input = source instanceof Readable ? source : Readable.from(source);
      await pipeline([input, ...transforms, encrypt, out]);
      const finalPath = join(this.root, id.slice(0, 2), `${id}.blob`);
      mkdirSync(dirname(finalPath), { recursive: true, mode: 0o700 });
      await rename(temp, finalPath);
      await this.syncDirectory(dirname(finalPath));
      return { path: relative(this.dataDir, finalPath).split(sep).join('/'), size: encrypt.plaintextBytes };
    } catch (err) {
      await removeWhenClosed(out, temp);
      throw err;
    } finally {
      TEMP_FILES_IN_USE.delete(temp);
    }
  }

  /**
   * Makes the renames already done in `dir` durable. Concurrent writes share the fsyncs of their directory: a caller
   * joins the next fsync not yet started (one that starts after its rename), so N writes landing in one shard
   * while a sync runs cost one more sync, not N.
   */
  private syncDirectory(dir: string): Promise<void> {
    const state = this.directorySyncs.get(dir);
    if (!state) return this.startDirectorySync(dir);
    state.next ??= state.running.then(
      () => this.startDirectorySync(dir),
      () => this.startDirectorySync(dir),
    );
    return state.next;
  }

  private startDirectorySync(dir: string): Promise<void> {
    const running: Promise<void> = fsyncPath(dir).finally(() => {
      if (this.directorySyncs.get(dir)?.running === running) this.directorySyncs.delete(dir);
    });
    this.directorySyncs.set(dir, { running });
    return running;
  }

  /** A stream of the plaintext; it errors (BlobIntegrityError) at the first altered or missing byte. */
  openRead(path: string): Readable {
    // objectMode off: a byte stream, as callers pipe it; each chunk is one authenticated 64 KiB chunk.
    return Readable.from(this.chunksFrom(path, this.resolveInside(path), 0), { objectMode: false });
  }

  /**
   * The plaintext from byte `start` on, a chunk at a time, each authenticated: a window into a large file
   * decrypts only the chunks it reads. Stop iterating to stop reading.
   */
  async *readFrom(path: string, start: number): AsyncGenerator<Buffer> {
    yield* this.chunksFrom(path, this.resolveInside(path), start);
  }

  /**
   * Reads whole sealed chunks, READ_CHUNKS at a time, into one buffer reused for the whole file, and opens
   * them in place: no stream buffering and no concatenation between the disk and the decipher, so a full
   * read costs one pass of AES-GCM and one copy (the decipher's output). See bench/RESULTS.md (hash-blob).
   */
  private async *chunksFrom(path: string, file: string, start: number): AsyncGenerator<Buffer> {
    // A file that cannot be opened is named by its stored path, never the server's absolute one (issue 22).
    const handle = await open(file, 'r').catch((err: NodeJS.ErrnoException) => {
      throw new BlobUnreadableError(path, err.code);
    });
    try {
      const { size } = await handle.stat();
      const headerBytes = Buffer.alloc(HEADER_SIZE);
      await handle.read(headerBytes, 0, HEADER_SIZE, 0);
      const header = decodeHeader(headerBytes, this.wrapKey);
      const sealedSize = SEALED_CHUNK_SIZE;
      const chunks = chunkCount(size);
      const first = Math.floor(start / CHUNK_SIZE);
      const buffer = Buffer.allocUnsafe(sealedSize * Math.max(1, Math.min(READ_CHUNKS, chunks - first)));
      for (let i = first; i < chunks;) {
        const at = HEADER_SIZE + i * sealedSize;
        const length = Math.min(buffer.length, Math.max(0, size - at));
        if (length === 0) throw new BlobIntegrityError(`chunk ${i} is truncated`);
        await readFully(handle, buffer, length, at, i);
        for (let offset = 0; offset < length; offset += sealedSize, i++) {
          yield openChunkFrom(header, i, chunks, buffer.subarray(offset, Math.min(offset + sealedSize, length)), start);
        }
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

  async *listStored(): AsyncIterable<StoredObject> {
    for (const path of await this.list()) {
      const info = await stat(path).catch(() => null);
      if (info) yield { path: relative(this.dataDir, path).split(sep).join('/'), size: info.size, modifiedMs: info.mtimeMs };
    }
  }

  async *listTemporary(): AsyncIterable<StoredObject> {
    for (const name of await readdir(join(this.root, 'tmp')).catch(() => [] as string[])) {
      const info = await stat(join(this.root, 'tmp', name)).catch(() => null);
      if (info) yield { path: `blobs/tmp/${name}`, size: info.size, modifiedMs: info.mtimeMs };
    }
  }

  async openStored(path: string): Promise<Readable | null> {
    const handle = await open(this.resolveInside(path), 'r').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    return handle ? createReadStream('', { fd: handle }) : null;
  }

  /** Written beside, fsync'd, renamed into place: complete or absent, like `write`. */
  async putStored(path: string, source: Readable): Promise<void> {
    const finalPath = this.resolveInside(path);
    const temp = join(this.root, 'tmp', newTempName());
    TEMP_FILES_IN_USE.add(temp);
    const out = createWriteStream(temp, { flags: 'wx', mode: 0o600 });
    try {
      await pipeline(source, out);
      await fsyncPath(temp);
      mkdirSync(dirname(finalPath), { recursive: true, mode: 0o700 });
      await rename(temp, finalPath);
      await this.syncDirectory(dirname(finalPath));
    } catch (err) {
      await removeWhenClosed(out, temp);
      throw err;
    } finally {
      TEMP_FILES_IN_USE.delete(temp);
    }
  }

  async probe(): Promise<void> {
    // The constructor made blobs/tmp: a directory that cannot be created has already failed loudly.
  }

  private async list(): Promise<string[]> {
    const out: string[] = [];
    for (const shard of await readdir(this.root, { withFileTypes: true }).catch(() => [])) {
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

/** Fills `buffer[0, length)` from `position`; a file that ends early is a truncated blob. */
async function readFully(handle: FileHandle, buffer: Buffer, length: number, position: number, chunk: number): Promise<void> {
  for (let done = 0; done < length;) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) throw new BlobIntegrityError(`chunk ${chunk} is truncated`);
    done += bytesRead;
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

/**
 * Removes a temporary file once its write stream has closed. A pipeline can fail before the stream's asynchronous
 * open has created the file; removing it then would find nothing, and the file would appear after the removal.
 */
async function removeWhenClosed(out: WriteStream, temp: string): Promise<void> {
  if (!out.closed) {
    out.destroy();
    await once(out, 'close').catch(() => undefined);
  }
  await rm(temp, { force: true });
}
