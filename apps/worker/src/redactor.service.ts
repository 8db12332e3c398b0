import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Readable, Transform } from 'node:stream';
import type { RedactableSpan, Db } from '@tftsr/db';
import { PII_TYPE_ORDER, RedactionSpan, redactStream } from '@tftsr/pii';
import { buildReviewIndex, ValueKeys } from '@tftsr/redaction';
import { BlobStore } from '@tftsr/storage';

export interface RedactedBlob {
  /** The new encrypted blob, relative to the data directory. */
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

const UNKNOWN_TYPE_RANK = PII_TYPE_ORDER.length;
const typeRank = (type: string) => {
  const rank = (PII_TYPE_ORDER as readonly string[]).indexOf(type);
  return rank === -1 ? UNKNOWN_TYPE_RANK : rank;
};

/**
 * Merges overlapping and touching spans, as the engine merges hits: every byte of every span is covered, and a
 * merged span takes the replacement of the type first in PII_TYPE_ORDER. (The desktop app skipped a span that
 * started inside the previous one, and so showed the rest of it.) Lazy, so memory stays flat for any number of
 * spans; they must come in order of start_offset, as the repository pages them.
 */
export function* mergeApproved(spans: Iterable<RedactableSpan>): Generator<RedactionSpan> {
  let cur: (RedactionSpan & { rank: number }) | null = null;
  for (const s of spans) {
    if (cur !== null && s.start_offset < cur.start)
      throw new RangeError(`spans must come in order of start_offset: ${s.start_offset} after ${cur.start}`);
    if (s.end_offset <= s.start_offset) continue;
    const rank = typeRank(s.pii_type);
    if (cur !== null && s.start_offset <= cur.end) {
      cur.end = Math.max(cur.end, s.end_offset);
      if (rank < cur.rank) Object.assign(cur, { rank, replacement: s.replacement });
      continue;
    }
    if (cur !== null) yield { start: cur.start, end: cur.end, replacement: cur.replacement };
    cur = { start: s.start_offset, end: s.end_offset, replacement: s.replacement, rank };
  }
  if (cur !== null) yield { start: cur.start, end: cur.end, replacement: cur.replacement };
}

/** Writes the redacted copy of a stored file as a new encrypted blob, streaming; the original is left as it is. */
@Injectable()
export class RedactorService {
  constructor(
    @Inject(BlobStore) private readonly blobs: BlobStore,
    readonly keys: ValueKeys,
  ) {}

  /** The file's review index (lines, value ids, distinct values), rebuilt from its current spans. */
  index(db: Db, logFileId: string, path: string): Promise<void> {
    return buildReviewIndex(db, this.blobs, this.keys, logFileId, path);
  }

  /**
   * Streams the original through the redactor into a new blob, hashing both sides on the way. The content must
   * be what the spans were found in: it must hash to `expected.sha256` (when known) and reach `expected.spansEndAt`.
   */
  async redact(
    originalPath: string,
    spans: Iterable<RedactableSpan>,
    expected: { sha256: string | null; spansEndAt: number },
  ): Promise<RedactedBlob> {
    const originalHash = createHash('sha256');
    const redactedHash = createHash('sha256');
    let originalSize = 0;
    const original = this.blobs.openRead(originalPath);
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
    const stored = await this.blobs.write(Readable.from(redactStream(hashed(), mergeApproved(spans))), [hashOut]);
    const originalSha256 = originalHash.digest('hex');
    const problem =
      expected.sha256 !== null && expected.sha256 !== originalSha256
        ? 'the stored content no longer hashes to the file’s content_hash'
        : expected.spansEndAt > originalSize
          ? `a span ends at byte ${expected.spansEndAt}, past the end of the ${originalSize}-byte content`
          : null;
    if (problem) {
      await this.blobs.remove(stored.path);
      throw new SpansDoNotFitError(problem);
    }
    return { path: stored.path, size: stored.size, originalSha256, redactedSha256: redactedHash.digest('hex') };
  }

  /** Drops a redacted copy that no row will point at (another run of the job committed first, or a newer version replaced it). */
  discard(path: string): Promise<void> {
    return this.blobs.remove(path);
  }
}
