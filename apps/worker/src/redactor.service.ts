import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Commit, RedactableSpan, Db } from '@tftsr/db';
import { PII_TYPE_ORDER, RedactionSpan } from '@tftsr/pii';
import { buildReviewIndex, ValueKeys } from '@tftsr/redaction';
import { BlobStore } from '@tftsr/storage';
import { RedactedBlob, RedactExpectation, redactToBlob } from './redact-blob';
import { RemoteScanner } from './scanner/remote-scanner';

export { SpansDoNotFitError } from './redact-blob';
export type { RedactedBlob } from './redact-blob';

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
    @Optional() @Inject(RemoteScanner) private readonly remote?: RemoteScanner | null,
  ) {}

  /**
   * The file's review index (lines, value ids, distinct values), rebuilt from its current spans; each commit by
   * `commit`, over `content` when the caller holds the file's decrypted bytes already.
   */
  index(db: Db, logFileId: string, path: string, commit?: Commit, content?: Buffer[]): Promise<void> {
    return buildReviewIndex(db, this.blobs, this.keys, logFileId, path, commit, content);
  }

  /**
   * Streams the original through the redactor into a new blob, hashing both sides on the way. The content must
   * be what the spans were found in: it must hash to `expected.sha256` (when known) and reach `expected.spansEndAt`.
   * Role `writer` (issue 19), given the work: a scanner writes the copy from a plan of the merged spans; the
   * spans are still read (and pseudonyms numbered) here, as they stream into the plan.
   */
  redact(
    originalPath: string,
    spans: Iterable<RedactableSpan>,
    expected: RedactExpectation,
    work?: { workId: string; logFileId: string },
  ): Promise<RedactedBlob> {
    if (this.remote && work) return this.remote.redact(work, originalPath, mergeApproved(spans), expected);
    return redactToBlob(this.blobs, originalPath, mergeApproved(spans), expected);
  }

  /** Whether a scanner writes the copies (role `writer`): the writer then names the work. */
  get remoteCopies(): boolean {
    return Boolean(this.remote);
  }

  /** After the commit (or its loss): a scanner's plan and result are no longer needed (role `writer`). */
  async release(workId: string): Promise<void> {
    await this.remote?.releaseNow(workId);
  }

  /** Drops a redacted copy that no row will point at (another run of the job committed first, or a newer version replaced it). */
  discard(path: string): Promise<void> {
    return this.blobs.remove(path);
  }
}
