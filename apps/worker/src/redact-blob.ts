import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import type { SpanSource } from '@tftsr/pii';
import { redactStream } from '@tftsr/pii';
import type { BlobStore } from '@tftsr/storage';

export interface RedactedBlob {
  /** The new encrypted blob, relative to the data directory (or the bucket's prefix). */
  path: string;
  size: number;
  originalSha256: string;
  redactedSha256: string;
}

/** The stored spans do not describe the stored bytes (the file changed, or the spans are from other content). */
export class SpansDoNotFitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SpansDoNotFitError';
  }
}

/** What the original must be for the spans to apply: its SHA-256 (when known), and long enough for the last span. */
export interface RedactExpectation {
  sha256: string | null;
  spansEndAt: number;
}

/**
 * Streams a stored original through the redactor into a new blob of the same store (same encryption), hashing
 * both sides on the way. `merged` must be sorted and merged (mergeApproved's output). Used by the worker in
 * role `all` and by a scanner (`redact_blob`, issue 19), which has no database: no import here may need one. A copy whose original does not fit the expectation is removed before SpansDoNotFitError.
 */
export async function redactToBlob(
  blobs: Pick<BlobStore, 'openRead' | 'write' | 'remove'>,
  originalPath: string,
  merged: SpanSource,
  expected: RedactExpectation,
): Promise<RedactedBlob> {
  const originalHash = createHash('sha256');
  const redactedHash = createHash('sha256');
  let originalSize = 0;
  const original = blobs.openRead(originalPath);
  async function* hashed(): AsyncGenerator<Buffer> {
    for await (const chunk of original) {
      originalHash.update(chunk as Buffer);
      originalSize += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
  }
  const hashOut = new Transform({
    transform(chunk: Buffer, _e, done) {
      redactedHash.update(chunk);
      done(null, chunk);
    },
  });
  const stored = await blobs.write(Readable.from(redactStream(hashed(), merged)), [hashOut]);
  const originalSha256 = originalHash.digest('hex');
  const problem =
    expected.sha256 !== null && expected.sha256 !== originalSha256
      ? 'the stored content no longer hashes to the file’s content_hash'
      : expected.spansEndAt > originalSize
        ? `a span ends at byte ${expected.spansEndAt}, past the end of the ${originalSize}-byte content`
        : null;
  if (problem) {
    await blobs.remove(stored.path);
    throw new SpansDoNotFitError(problem);
  }
  return { path: stored.path, size: stored.size, originalSha256, redactedSha256: redactedHash.digest('hex') };
}
