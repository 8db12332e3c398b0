import type { Commit, Db, PiiSpan, SpanReviewRow } from '@tftsr/db';
import { LogFileLineIndexRepository, PiiReviewRepository, PiiSpanRepository, transaction } from '@tftsr/db';
import type { PiiType } from '@tftsr/pii';
import { maskValue } from '@tftsr/pii';
import type { BlobStore } from '@tftsr/storage';
import type { ValueKeys } from './value-keys';

/** Every this-many lines, the line index records where a line starts. */
export const LINE_INDEX_STEP = 256;
const BATCH = 10_000;

/** What a reviewer without pii:reveal sees of a value; a wiped one shows its replacement. */
export function maskedForm(type: string, original: string, replacement: string): string {
  return original === '' ? replacement : maskValue(type as PiiType, original);
}

interface IndexRepositories {
  review: PiiReviewRepository;
  lines: LogFileLineIndexRepository;
  spans: PiiSpanRepository;
}
/**
 * One set per connection, made on first use: building them prepares some forty statements, which, done for every
 * file, took about 7% of the worker's time on small files (upload-small profile).
 */
const repositories = new WeakMap<Db, IndexRepositories>();
function repositoriesFor(db: Db): IndexRepositories {
  let found = repositories.get(db);
  if (!found) {
    found = { review: new PiiReviewRepository(db), lines: new LogFileLineIndexRepository(db), spans: new PiiSpanRepository(db) };
    repositories.set(db, found);
  }
  return found;
}

const masking = new WeakSet<Db>();
/** maskedForm as SQL can call it (tftsr_mask), for aggregating the distinct values in the database. */
function registerMask(db: Db): void {
  if (masking.has(db)) return;
  db.function('tftsr_mask', { deterministic: true }, (type: unknown, original: unknown, replacement: unknown) =>
    maskedForm(String(type), String(original), String(replacement)),
  );
  masking.add(db);
}

/**
 * Builds a file's review index in one streaming pass over its content: the line of every span, a sparse index
 * of line starts and a value id per span; then the file's distinct values with counts, aggregated in SQL a
 * batch at a time. Idempotent (rows are upserted from the same data), so two builders racing leave the same
 * result, and memory stays flat for any number of spans or values.
 */
export async function buildReviewIndex(
  db: Db,
  blobs: BlobStore,
  keys: ValueKeys,
  logFileId: string,
  filePath: string,
  commit: Commit = async (work) => transaction(db, work),
  /** The file's decrypted content, when the caller holds it already (a small file's scan); else it is read. */
  content: AsyncIterable<unknown> | Iterable<Buffer> = blobs.openRead(filePath),
): Promise<void> {
  registerMask(db);
  const { review, lines, spans: spanRepository } = repositoriesFor(db);
  const spans = iterateSpans(spanRepository, logFileId);
  const checkpoints: [number, number][] = [[1, 0]];
  let batch: SpanReviewRow[] = [];
  let next = spans.next();
  let offset = 0;
  let newlines = 0;
  let lastByte = 10;

  const countTo = (chunk: Buffer, from: number, to: number) => {
    for (let i = chunk.indexOf(10, from); i !== -1 && i < to; i = chunk.indexOf(10, i + 1)) {
      newlines++;
      if (newlines % LINE_INDEX_STEP === 0) checkpoints.push([newlines + 1, offset + i + 1]);
    }
  };
  const assign = (span: PiiSpan) => {
    const valueId = span.original_value === '' ? keys.wipedValueId(span.id) : keys.valueId(span.pii_type, span.original_value);
    batch.push({ span_id: span.id, log_file_id: logFileId, value_id: valueId, line_number: newlines + 1, source: 'detector' });
  };
  // Called only once a batch is full: an await per span would cost a large file a promise for each.
  const commitBatch = () => {
    const rows = batch;
    batch = [];
    return commit(() => review.insertSpanReviews(rows));
  };

  for await (const raw of content) {
    const chunk = raw as Buffer;
    const end = offset + chunk.length;
    let pos = 0;
    while (!next.done && next.value.start_offset < end) {
      const rel = Math.max(pos, next.value.start_offset - offset);
      countTo(chunk, pos, rel);
      pos = rel;
      assign(next.value);
      next = spans.next();
      if (batch.length >= BATCH) await commitBatch();
    }
    countTo(chunk, pos, chunk.length);
    if (chunk.length > 0) lastByte = chunk[chunk.length - 1];
    offset = end;
  }
  for (; !next.done; next = spans.next()) {
    assign(next.value);
    if (batch.length >= BATCH) await commitBatch();
  }
  const totalLines = newlines + (offset > 0 && lastByte !== 10 ? 1 : 0);
  // One page of values after `from`; the last page marks the file indexed in the same commit.
  const aggregate = (from: string): string | null => {
    const after = review.aggregateValues(logFileId, from, BATCH);
    if (after === null) review.markIndexed(logFileId, totalLines);
    return after;
  };
  // A small file (most uploads) is indexed in this one commit; a large one in bounded commits after it.
  const rest = batch;
  let after = await commit(() => {
    review.insertSpanReviews(rest);
    lines.putCheckpoints(logFileId, checkpoints);
    return aggregate('');
  });
  while (after !== null) {
    const from: string = after;
    after = await commit(() => aggregate(from));
  }
}

function* iterateSpans(spans: PiiSpanRepository, logFileId: string): Generator<PiiSpan> {
  let after: [number, string] | undefined;
  for (;;) {
    const page = spans.listPage(logFileId, { after, limit: 5000 });
    yield* page;
    if (page.length < 5000) return;
    const last = page[page.length - 1];
    after = [last.start_offset, last.id];
  }
}
