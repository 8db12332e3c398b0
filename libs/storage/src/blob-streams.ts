import type { TransformCallback } from 'node:stream';
import { Transform } from 'node:stream';
import type { BlobHeader } from './blob-format';
import { CHUNK_SIZE, decodeHeader, HEADER_SIZE, newHeader, openChunk, SEALED_CHUNK_SIZE, sealChunk } from './blob-format';

/** Plaintext in, blob format out. Holds at most one chunk in memory. */
export class EncryptStream extends Transform {
  private readonly header: BlobHeader;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private index = 0;
  /** Bytes of plaintext seen, so callers know the real size without a second pass. */
  plaintextBytes = 0;

  constructor(wrapKey: Buffer) {
    super();
    const { bytes, header } = newHeader(wrapKey);
    this.header = header;
    this.push(bytes);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.plaintextBytes += chunk.length;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    // Keep one full chunk back: only at the end do we know which chunk is the last.
    if (this.pendingBytes > CHUNK_SIZE) {
      const all = Buffer.concat(this.pending, this.pendingBytes);
      let offset = 0;
      while (all.length - offset > CHUNK_SIZE) {
        this.push(sealChunk(this.header, this.index++, false, all.subarray(offset, offset + CHUNK_SIZE)));
        offset += CHUNK_SIZE;
      }
      this.pending = [all.subarray(offset)];
      this.pendingBytes = all.length - offset;
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    this.push(sealChunk(this.header, this.index++, true, Buffer.concat(this.pending, this.pendingBytes)));
    done();
  }
}

/** Blob format in, plaintext out; fails on the first chunk that does not authenticate, or on truncation. */
export class DecryptStream extends Transform {
  private header: BlobHeader | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private index = 0;

  constructor(private readonly wrapKey: Buffer) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
      if (!this.header) {
        if (this.buffer.length < HEADER_SIZE) return done();
        this.header = decodeHeader(this.buffer.subarray(0, HEADER_SIZE), this.wrapKey);
        this.buffer = this.buffer.subarray(HEADER_SIZE);
      }
      const sealed = SEALED_CHUNK_SIZE;
      // Strictly more than one sealed chunk: the final one must wait for the end to be opened as last.
      while (this.buffer.length > sealed) {
        this.push(openChunk(this.header, this.index++, false, this.buffer.subarray(0, sealed)));
        this.buffer = this.buffer.subarray(sealed);
      }
      done();
    } catch (err) {
      done(err as Error);
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      if (!this.header) {
        this.header = decodeHeader(this.buffer, this.wrapKey);
        this.buffer = this.buffer.subarray(HEADER_SIZE);
      }
      this.push(openChunk(this.header, this.index++, true, this.buffer));
      done();
    } catch (err) {
      done(err as Error);
    }
  }
}
