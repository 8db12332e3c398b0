import type { Readable } from 'node:stream';
import { BlobIntegrityError, BlobUnreadableError } from './blob-format';

/** Takes exact byte counts from a stream; a stream that ends early is a truncated blob. */
export class ByteReader {
  private readonly iterator: AsyncIterator<Buffer>;
  private buffered: Buffer = Buffer.alloc(0);

  constructor(private readonly stream: Readable) {
    this.iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  async take(length: number, path: string, chunk?: number): Promise<Buffer> {
    while (this.buffered.length < length) {
      let next: IteratorResult<Buffer>;
      try {
        next = await this.iterator.next();
      } catch (err) {
        throw new BlobUnreadableError(path, (err as NodeJS.ErrnoException).code ?? (err as Error).name);
      }
      if (next.done) throw new BlobIntegrityError(chunk === undefined ? 'not a TFTSR blob (bad header)' : `chunk ${chunk} is truncated`);
      this.buffered = this.buffered.length ? Buffer.concat([this.buffered, next.value]) : Buffer.from(next.value);
    }
    const out = this.buffered.subarray(0, length);
    this.buffered = this.buffered.subarray(length);
    return out;
  }

  /** What is buffered, then the rest of the stream. */
  async *rest(): AsyncGenerator<Buffer> {
    if (this.buffered.length) yield this.buffered;
    this.buffered = Buffer.alloc(0);
    for (;;) {
      const next = await this.iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }

  destroy(): void {
    this.stream.destroy();
  }
}

export async function* prepend(first: Buffer, reader: ByteReader): AsyncGenerator<Buffer> {
  yield first;
  yield* reader.rest();
}
