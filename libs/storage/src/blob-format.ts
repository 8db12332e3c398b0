import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * The encrypted blob format, in fixed 64 KiB chunks so that memory stays flat for any file size:
 *
 *   header  = magic "TFTSRBL1" | nonce prefix (8) | wrap nonce (12) | wrapped file key (32) | wrap tag (16)
 *   chunk i = AES-256-GCM(file key, nonce = prefix | i (uint32 BE), aad = magic | prefix | i | last flag)
 *             ciphertext (≤ 64 KiB) | tag (16)
 *
 * Each file has its own random key, wrapped under a key derived from the database key: `db rekey` rewraps
 * 68 header bytes per file instead of re-encrypting gigabytes. The chunk index and the last-chunk flag are
 * authenticated, so reordered, dropped or truncated chunks fail to decrypt.
 */
export const MAGIC = Buffer.from('TFTSRBL1', 'latin1');
export const CHUNK_SIZE = 64 * 1024;
export const TAG_SIZE = 16;
const PREFIX_SIZE = 8;
const WRAP_NONCE_SIZE = 12;
const KEY_SIZE = 32;
export const HEADER_SIZE = MAGIC.length + PREFIX_SIZE + WRAP_NONCE_SIZE + KEY_SIZE + TAG_SIZE;
const WRAP_AAD = Buffer.from('tftsr/blob-key-wrap/v1', 'latin1');

/**
 * A stored file that cannot be opened or read. The message names it by its stored path (`blobs/…`), never by
 * the server's absolute path, since it can end up in a failure reason a client reads; `code` keeps the errno.
 */
export class BlobUnreadableError extends Error {
  constructor(
    readonly storedPath: string,
    readonly code: string | undefined,
  ) {
    super(
      code === 'ENOENT'
        ? `the stored file ${storedPath} is missing`
        : `the stored file ${storedPath} cannot be read (${code ?? 'I/O error'})`,
    );
    this.name = 'BlobUnreadableError';
  }
}

/** Absolute paths out of a message meant for clients: a blob path keeps its stored form, any other becomes `<server path>`. */
export function withoutServerPaths(message: string): string {
  return message.replace(/(^|[\s'"(])(\/[^\s'"(),]+)/g, (_all, lead: string, path: string) => {
    const at = path.lastIndexOf('/blobs/');
    return `${lead}${at >= 0 ? path.slice(at + 1) : '<server path>'}`;
  });
}

export class BlobIntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BlobIntegrityError';
  }
}

export interface BlobHeader {
  prefix: Buffer;
  fileKey: Buffer;
}

export function newHeader(wrapKey: Buffer): { bytes: Buffer; header: BlobHeader } {
  const header = { prefix: randomBytes(PREFIX_SIZE), fileKey: randomBytes(KEY_SIZE) };
  return { bytes: encodeHeader(header, wrapKey), header };
}

export function encodeHeader(header: BlobHeader, wrapKey: Buffer): Buffer {
  const wrapNonce = randomBytes(WRAP_NONCE_SIZE);
  const cipher = createCipheriv('aes-256-gcm', wrapKey, wrapNonce);
  cipher.setAAD(Buffer.concat([WRAP_AAD, header.prefix]));
  const wrapped = Buffer.concat([cipher.update(header.fileKey), cipher.final()]);
  return Buffer.concat([MAGIC, header.prefix, wrapNonce, wrapped, cipher.getAuthTag()]);
}

export function decodeHeader(bytes: Buffer, wrapKey: Buffer): BlobHeader {
  if (bytes.length < HEADER_SIZE || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new BlobIntegrityError('not a TFTSR blob (bad header)');
  }
  let offset = MAGIC.length;
  const take = (n: number) => bytes.subarray(offset, (offset += n));
  const prefix = Buffer.from(take(PREFIX_SIZE));
  const wrapNonce = take(WRAP_NONCE_SIZE);
  const wrapped = take(KEY_SIZE);
  const tag = take(TAG_SIZE);
  try {
    const decipher = createDecipheriv('aes-256-gcm', wrapKey, wrapNonce);
    decipher.setAAD(Buffer.concat([WRAP_AAD, prefix]));
    decipher.setAuthTag(tag);
    return { prefix, fileKey: Buffer.concat([decipher.update(wrapped), decipher.final()]) };
  } catch {
    throw new BlobIntegrityError('the blob key does not unwrap: wrong database key, or the header was altered');
  }
}

function chunkParams(header: BlobHeader, index: number, last: boolean): { nonce: Buffer; aad: Buffer } {
  const counter = Buffer.alloc(4);
  counter.writeUInt32BE(index);
  return {
    nonce: Buffer.concat([header.prefix, counter]),
    aad: Buffer.concat([MAGIC, header.prefix, counter, Buffer.from([last ? 1 : 0])]),
  };
}

export function sealChunk(header: BlobHeader, index: number, last: boolean, plain: Buffer): Buffer {
  const { nonce, aad } = chunkParams(header, index, last);
  const cipher = createCipheriv('aes-256-gcm', header.fileKey, nonce);
  cipher.setAAD(aad);
  return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

export function openChunk(header: BlobHeader, index: number, last: boolean, sealed: Buffer): Buffer {
  if (sealed.length < TAG_SIZE) throw new BlobIntegrityError(`chunk ${index} is truncated`);
  const { nonce, aad } = chunkParams(header, index, last);
  try {
    const decipher = createDecipheriv('aes-256-gcm', header.fileKey, nonce);
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_SIZE));
    const plain = decipher.update(sealed.subarray(0, sealed.length - TAG_SIZE));
    decipher.final(); // GCM gives no bytes here, only the verdict: the update's output is the whole chunk
    return plain;
  } catch {
    throw new BlobIntegrityError(`chunk ${index} fails authentication: the file was altered, reordered or truncated`);
  }
}

/** A chunk as stored: its ciphertext, then its tag. */
export const SEALED_CHUNK_SIZE = CHUNK_SIZE + TAG_SIZE;

/** How many chunks a stored blob of `storedSize` bytes holds (an empty file still has one, empty, chunk). */
export function chunkCount(storedSize: number): number {
  return Math.max(1, Math.ceil((storedSize - HEADER_SIZE) / SEALED_CHUNK_SIZE));
}

/** Chunk `index` of `chunks` opened and authenticated, cut so that the plaintext starts no earlier than byte `start`. */
export function openChunkFrom(header: BlobHeader, index: number, chunks: number, sealed: Buffer, start: number): Buffer {
  const plain = openChunk(header, index, index === chunks - 1, sealed);
  return index * CHUNK_SIZE < start ? plain.subarray(start - index * CHUNK_SIZE) : plain;
}
