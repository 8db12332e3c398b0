import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open, readdir, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BlobIntegrityError } from './blob-format';

/**
 * The append file of an open log-stream chunk, `{data_dir}/chunks/<chunk id>.open`: the shipped lines of the chunk
 * until it closes into a blob, kept out of the database so that a group commit carries only the chunk's new
 * committed length (and its audit entries), not the lines.
 *
 *   header   = magic "TFTSRCA1" | wrap nonce (12) | wrapped file key (32) | wrap tag (16)
 *   record   = length (uint32 BE) | nonce (12) | AES-256-GCM(file key, nonce, aad) ciphertext (length) | tag (16)
 *   aad      = "tftsr/chunk-record/v1" | chunk id | record's file offset (uint64 BE) | length (uint32 BE)
 *
 * Each file has its own random key, wrapped (like a blob's) under a key derived from the blob key with its own
 * label, with the chunk id as the wrap's associated data: `db rekey` rewraps the 68-byte header in place. Each
 * record has a fresh random nonce; its chunk id and its offset in the file are authenticated, so a record moved
 * within the file or into another chunk's file, altered, or cut short fails to open. What is committed is the
 * file's length as the database records it (log_stream_chunks.file_bytes, migration 040): bytes past it were
 * never acknowledged and are cut off; a file shorter than it has lost acknowledged lines, which is an error.
 */
export const CHUNK_FILE_MAGIC = Buffer.from('TFTSRCA1', 'latin1');
const WRAP_NONCE_SIZE = 12;
const KEY_SIZE = 32;
const TAG_SIZE = 16;
const NONCE_SIZE = 12;
export const CHUNK_FILE_HEADER_SIZE = CHUNK_FILE_MAGIC.length + WRAP_NONCE_SIZE + KEY_SIZE + TAG_SIZE;
/** A record's bytes besides its plaintext: length, nonce, tag. */
export const CHUNK_RECORD_OVERHEAD = 4 + NONCE_SIZE + TAG_SIZE;
const WRAP_AAD = Buffer.from('tftsr/chunk-file-key-wrap/v1', 'latin1');
const RECORD_AAD = Buffer.from('tftsr/chunk-record/v1', 'latin1');
const CHUNK_FILE_LABEL = 'tftsr/chunk-append-file/v1';
/** A record holds one request's lines for one stream: at most the shipper routes' decoded limit (64 MiB). */
const MAX_RECORD_BYTES = 0xffffffff;

/**
 * The label of the chunk files' key under the database key: `deriveKey(db key, CHUNK_FILE_KEY_LABEL)`. Not the
 * blob key: scanner hosts hold that one (issue 19), and open chunks never leave the API's host.
 */
export const CHUNK_FILE_KEY_LABEL = 'chunk-file-encryption';

/** The chunk files' wrapping key, from their key under the database key, with a label of its own. */
export function chunkFileWrapKey(chunkFileKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', chunkFileKey, Buffer.alloc(0), Buffer.from(CHUNK_FILE_LABEL, 'latin1'), KEY_SIZE));
}

/** Acknowledged bytes of a chunk file are gone or unreadable: lines answered 2xx were lost. */
export class ChunkFileDamagedError extends Error {
  constructor(
    readonly chunkId: string,
    message: string,
  ) {
    super(`the append file of open chunk ${chunkId} is damaged: ${message}`);
    this.name = 'ChunkFileDamagedError';
  }
}

export function encodeChunkFileHeader(chunkId: string, fileKey: Buffer, wrapKey: Buffer): Buffer {
  const nonce = randomBytes(WRAP_NONCE_SIZE);
  const cipher = createCipheriv('aes-256-gcm', wrapKey, nonce);
  cipher.setAAD(Buffer.concat([WRAP_AAD, Buffer.from(chunkId, 'utf8')]));
  const wrapped = Buffer.concat([cipher.update(fileKey), cipher.final()]);
  return Buffer.concat([CHUNK_FILE_MAGIC, nonce, wrapped, cipher.getAuthTag()]);
}

export function decodeChunkFileHeader(chunkId: string, header: Buffer, wrapKey: Buffer): Buffer {
  if (header.length < CHUNK_FILE_HEADER_SIZE || !header.subarray(0, CHUNK_FILE_MAGIC.length).equals(CHUNK_FILE_MAGIC)) {
    throw new BlobIntegrityError(`the append file of chunk ${chunkId} has no valid header`);
  }
  let at = CHUNK_FILE_MAGIC.length;
  const take = (n: number) => header.subarray(at, (at += n));
  const nonce = take(WRAP_NONCE_SIZE);
  const wrapped = take(KEY_SIZE);
  const tag = take(TAG_SIZE);
  try {
    const decipher = createDecipheriv('aes-256-gcm', wrapKey, nonce);
    decipher.setAAD(Buffer.concat([WRAP_AAD, Buffer.from(chunkId, 'utf8')]));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(wrapped), decipher.final()]);
  } catch {
    throw new BlobIntegrityError(`the key of chunk ${chunkId}'s append file does not unwrap: wrong key, another chunk's file, or altered`);
  }
}

function recordAad(chunkId: string, offset: number, length: number): Buffer {
  const position = Buffer.alloc(12);
  position.writeBigUInt64BE(BigInt(offset), 0);
  position.writeUInt32BE(length, 8);
  return Buffer.concat([RECORD_AAD, Buffer.from(chunkId, 'utf8'), position]);
}

/** One record, to be written at byte `offset` of chunk `chunkId`'s file. */
export function sealChunkRecord(fileKey: Buffer, chunkId: string, offset: number, plain: Buffer): Buffer {
  if (plain.length > MAX_RECORD_BYTES) throw new RangeError('a chunk record holds at most 4 GiB');
  const nonce = randomBytes(NONCE_SIZE);
  const cipher = createCipheriv('aes-256-gcm', fileKey, nonce);
  cipher.setAAD(recordAad(chunkId, offset, plain.length));
  const out = Buffer.allocUnsafe(CHUNK_RECORD_OVERHEAD + plain.length);
  out.writeUInt32BE(plain.length, 0);
  nonce.copy(out, 4);
  let at = 4 + NONCE_SIZE;
  at += cipher.update(plain).copy(out, at);
  at += cipher.final().copy(out, at);
  cipher.getAuthTag().copy(out, at);
  return out;
}

/**
 * The plaintexts of the records in `bytes` (a whole file, header included, cut at its committed length), in
 * order, each authenticated. Throws at the first record that is altered, moved, or cut short, and when the
 * records do not end exactly at the end of `bytes`.
 */
export function openChunkRecords(fileKey: Buffer, chunkId: string, bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = CHUNK_FILE_HEADER_SIZE;
  while (at < bytes.length) {
    if (bytes.length - at < CHUNK_RECORD_OVERHEAD) throw new BlobIntegrityError(`chunk ${chunkId}: the record at ${at} is truncated`);
    const length = bytes.readUInt32BE(at);
    const end = at + CHUNK_RECORD_OVERHEAD + length;
    if (end > bytes.length) throw new BlobIntegrityError(`chunk ${chunkId}: the record at ${at} is truncated`);
    const nonce = bytes.subarray(at + 4, at + 4 + NONCE_SIZE);
    try {
      const decipher = createDecipheriv('aes-256-gcm', fileKey, nonce);
      decipher.setAAD(recordAad(chunkId, at, length));
      decipher.setAuthTag(bytes.subarray(end - TAG_SIZE, end));
      const plain = decipher.update(bytes.subarray(at + 4 + NONCE_SIZE, end - TAG_SIZE));
      decipher.final();
      out.push(plain);
    } catch {
      throw new BlobIntegrityError(`chunk ${chunkId}: the record at ${at} fails authentication: altered, moved or from another file`);
    }
    at = end;
  }
  return out;
}

/** An append file held open by the API between groups: its key, and how far it has been written. */
export interface ChunkAppendFile {
  readonly chunkId: string;
  readonly fileKey: Buffer;
  readonly handle: FileHandle;
  /** The end of what was written (committed or not); the next record goes here. */
  size: number;
}

/**
 * The append files of open chunks, under `{data_dir}/chunks/`. The caller (LogChunkWriter's chain, in the API)
 * serialises every use of one chunk's file, and decides what is committed; this class only writes, syncs, reads and
 * cuts files.
 */
export class ChunkFiles {
  readonly dir: string;
  private readonly wrapKey: Buffer;

  /** `chunkFileKey`: deriveKey(db key, CHUNK_FILE_KEY_LABEL). */
  constructor(dataDir: string, chunkFileKey: Buffer) {
    this.dir = resolve(dataDir, 'chunks');
    this.wrapKey = chunkFileWrapKey(chunkFileKey);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  /** `chunks/<id>.open`, relative to the data directory (as backups list it). */
  static relativePath(chunkId: string): string {
    return `chunks/${chunkId}.open`;
  }

  path(chunkId: string): string {
    if (!/^[A-Za-z0-9_-]+$/.test(chunkId)) throw new Error(`not a chunk id: ${JSON.stringify(chunkId)}`);
    return join(this.dir, `${chunkId}.open`);
  }

  /**
   * Opens chunk `chunkId`'s file for appending at its committed length `committed` (0: the chunk has no file
   * yet). A new file gets its header, synced, and its directory entry synced: from then on it only grows by
   * records. Bytes past `committed` (an append whose commit failed, or a crash) are cut off.
   */
  async openForAppend(chunkId: string, committed: number): Promise<ChunkAppendFile> {
    const path = this.path(chunkId);
    if (committed === 0) {
      // Left by a first append whose commit failed: nothing in it was acknowledged.
      await rm(path, { force: true });
      const handle = await open(path, 'wx+', 0o600);
      try {
        const fileKey = randomBytes(KEY_SIZE);
        const header = encodeChunkFileHeader(chunkId, fileKey, this.wrapKey);
        await handle.write(header, 0, header.length, 0);
        await handle.datasync();
        await syncDirectory(this.dir);
        return { chunkId, fileKey, handle, size: header.length };
      } catch (err) {
        await handle.close().catch(() => undefined);
        throw err;
      }
    }
    const handle = await open(path, 'r+').catch((err: NodeJS.ErrnoException) => {
      throw new ChunkFileDamagedError(
        chunkId,
        err.code === 'ENOENT' ? `it is missing (${committed} bytes are committed)` : String(err.code),
      );
    });
    try {
      const file = { chunkId, fileKey: await this.readKey(chunkId, handle), handle, size: (await handle.stat()).size };
      await this.cutTo(file, committed);
      return file;
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
  }

  /** Cuts `file` back to its committed length; fails loudly when it is shorter than that. */
  async cutTo(file: ChunkAppendFile, committed: number): Promise<void> {
    if (file.size < committed) {
      throw new ChunkFileDamagedError(file.chunkId, `it holds ${file.size} bytes, ${committed} are committed`);
    }
    if (file.size > committed) {
      await file.handle.truncate(committed);
      await file.handle.datasync();
      file.size = committed;
    }
  }

  /** Seals `plain` as the next record of `file` (not yet written): returns it, and advances the file's size. */
  seal(file: ChunkAppendFile, plain: Buffer): Buffer {
    const record = sealChunkRecord(file.fileKey, file.chunkId, file.size, plain);
    file.size += record.length;
    return record;
  }

  /** Writes `records` (sealed in order by `seal`) at `at`, then makes them durable with one fdatasync. */
  async writeAndSync(file: ChunkAppendFile, at: number, records: Buffer[]): Promise<void> {
    let position = at;
    let pending = records;
    while (pending.length > 0) {
      const { bytesWritten } = await file.handle.writev(pending, position);
      position += bytesWritten;
      pending = skipWritten(pending, bytesWritten);
    }
    await file.handle.datasync();
  }

  /** The lines of a chunk, its file read up to its committed length and every record authenticated. */
  async read(chunkId: string, committed: number): Promise<Buffer> {
    return Buffer.concat(await this.readRecords(chunkId, committed));
  }

  /** As `read`, one buffer per record: a close streams them into its blob without copying 8 MiB into one. */
  async readRecords(chunkId: string, committed: number): Promise<Buffer[]> {
    const handle = await open(this.path(chunkId), 'r').catch((err: NodeJS.ErrnoException) => {
      throw new ChunkFileDamagedError(
        chunkId,
        err.code === 'ENOENT' ? `it is missing (${committed} bytes are committed)` : String(err.code),
      );
    });
    try {
      const size = (await handle.stat()).size;
      if (size < committed) throw new ChunkFileDamagedError(chunkId, `it holds ${size} bytes, ${committed} are committed`);
      const bytes = Buffer.allocUnsafe(committed);
      let at = 0;
      while (at < committed) {
        const { bytesRead } = await handle.read(bytes, at, committed - at, at);
        if (bytesRead === 0) throw new ChunkFileDamagedError(chunkId, `it ends at ${at}, ${committed} bytes are committed`);
        at += bytesRead;
      }
      const fileKey = decodeChunkFileHeader(chunkId, bytes, this.wrapKey);
      return openChunkRecords(fileKey, chunkId, bytes);
    } finally {
      await handle.close();
    }
  }

  /** At start: cuts an open chunk's file back to its committed length; throws when acknowledged bytes are missing. */
  async recover(chunkId: string, committed: number): Promise<void> {
    const file = await this.openForAppend(chunkId, committed);
    await file.handle.close();
  }

  async remove(chunkId: string): Promise<void> {
    await rm(this.path(chunkId), { force: true });
  }

  /** The chunk ids that have a file, with its age (an orphan sweep spares young files). */
  async list(): Promise<{ chunkId: string; modifiedMs: number }[]> {
    const out: { chunkId: string; modifiedMs: number }[] = [];
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      if (!name.endsWith('.open')) continue;
      const info = await stat(join(this.dir, name)).catch(() => null);
      if (info) out.push({ chunkId: name.slice(0, -'.open'.length), modifiedMs: info.mtimeMs });
    }
    return out;
  }

  /** `db rekey`: rewraps every chunk file's key under the new blob key's chunk key. A rerun skips files done. */
  async rewrapAll(newBlobWrapKey: Buffer): Promise<number> {
    const newKey = chunkFileWrapKey(newBlobWrapKey);
    let count = 0;
    for (const { chunkId } of await this.list()) {
      const handle = await open(this.path(chunkId), 'r+');
      try {
        const header = Buffer.alloc(CHUNK_FILE_HEADER_SIZE);
        const { bytesRead } = await handle.read(header, 0, CHUNK_FILE_HEADER_SIZE, 0);
        if (bytesRead < CHUNK_FILE_HEADER_SIZE) continue; // a file cut before its header was synced: never committed
        try {
          decodeChunkFileHeader(chunkId, header, newKey);
          continue;
        } catch {
          // still under the old key
        }
        const rewrapped = encodeChunkFileHeader(chunkId, decodeChunkFileHeader(chunkId, header, this.wrapKey), newKey);
        await handle.write(rewrapped, 0, rewrapped.length, 0);
        await handle.sync();
        count += 1;
      } finally {
        await handle.close();
      }
    }
    return count;
  }

  private async readKey(chunkId: string, handle: FileHandle): Promise<Buffer> {
    const header = Buffer.alloc(CHUNK_FILE_HEADER_SIZE);
    await handle.read(header, 0, CHUNK_FILE_HEADER_SIZE, 0);
    try {
      return decodeChunkFileHeader(chunkId, header, this.wrapKey);
    } catch (err) {
      throw new ChunkFileDamagedError(chunkId, (err as Error).message);
    }
  }
}

function skipWritten(buffers: Buffer[], written: number): Buffer[] {
  let left = written;
  let i = 0;
  while (i < buffers.length && left >= buffers[i].length) left -= buffers[i++].length;
  const rest = buffers.slice(i);
  if (left > 0 && rest.length > 0) rest[0] = rest[0].subarray(left);
  return rest;
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
