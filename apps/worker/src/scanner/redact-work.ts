import { PassThrough, Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { RedactionSpan, SpanSource } from '@tftsr/pii';
import type { RedactedBlob, RedactExpectation } from '../redact-blob';
import type { WorkObjects } from './scan-work';
import { opened, orderPath, resultPath } from './scan-work';

/**
 * A redaction's work objects between a writer and its scanners (issue 19), beside the scans' (scan-work.ts) and
 * under the same names (`work/<work id>.order`, `.result`), sealed the same way.
 *
 * The plan (the order) is JSON lines: a header (the original's path, what it must hash to and reach), the merged
 * spans to hide in order as `[start, end, replacement]` in batches of at most PLAN_BATCH, then `{"done": count}`.
 * It is written and read as a stream, so a file with millions of spans never sits in memory on either side. It
 * holds no original value: offsets and replacements only (a pseudonym is a number within the issue).
 * The result is one small JSON object: the new blob, or the problem that kept the scanner from making one.
 */
export const PLAN_BATCH = 1000;

export interface RedactPlanHeader {
  v: 1;
  mode: 'redact';
  log_file_id: string;
  /** The original's stored path (`blobs/xx/<uuid>.blob`). */
  blob_path: string;
  expected: RedactExpectation;
}

export type RedactProblemKind = 'spans_do_not_fit' | 'integrity';
export type RedactResult = { v: 1; redacted: RedactedBlob } | { v: 1; problem: { kind: RedactProblemKind; message: string } };

type PlanLine = RedactPlanHeader | { spans: [number, number, string][] } | { done: number };

/** Streams the plan into the bucket (backpressure: the upload holds a few parts at most); the number of spans. */
export async function writeRedactPlan(
  store: WorkObjects,
  workId: string,
  header: Omit<RedactPlanHeader, 'v' | 'mode'>,
  spans: SpanSource,
  batchSize = PLAN_BATCH,
): Promise<number> {
  const stream = new PassThrough();
  const upload = store.putWork(orderPath(workId), stream);
  upload.catch(() => undefined);
  const line = async (value: PlanLine) => {
    if (stream.write(`${JSON.stringify(value)}\n`)) return;
    await Promise.race([
      new Promise<void>((resolve) => stream.once('drain', resolve)),
      upload.then(() => {
        throw new Error('the plan upload ended early');
      }),
    ]);
  };
  let count = 0;
  try {
    await line({ v: 1, mode: 'redact', ...header });
    let batch: [number, number, string][] = [];
    for await (const s of spans) {
      batch.push([s.start, s.end, s.replacement]);
      count += 1;
      if (batch.length >= batchSize) {
        await line({ spans: batch });
        batch = [];
      }
    }
    if (batch.length > 0) await line({ spans: batch });
    await line({ done: count });
    stream.end();
  } catch (err) {
    // Nothing is stored: the multipart upload is aborted.
    stream.destroy(err as Error);
    await upload.catch(() => undefined);
    throw err;
  }
  await upload;
  return count;
}

/**
 * The plan's header, then its spans as they are read (one batch in memory). The spans' generator throws if the
 * plan ends before its count line or the count differs: a cut plan never passes for a complete one.
 */
export async function readRedactPlan(
  store: WorkObjects,
  workId: string,
): Promise<{ header: RedactPlanHeader; spans: AsyncGenerator<RedactionSpan> }> {
  const path = orderPath(workId);
  const lines = jsonLines(opened(store, path));
  const first = await lines.next();
  const header = (first.done ? undefined : first.value) as RedactPlanHeader | undefined;
  if (!header || header.mode !== 'redact') {
    await lines.return(undefined);
    throw new Error(`the work order ${path} is not a redaction plan`);
  }
  if (header.v !== 1) {
    await lines.return(undefined);
    throw new Error(`the redaction plan ${path} has version ${String(header.v)}, this scanner reads 1: upgrade it`);
  }
  async function* spans(): AsyncGenerator<RedactionSpan> {
    let count = 0;
    for await (const value of { [Symbol.asyncIterator]: () => lines }) {
      const line = value as PlanLine;
      if ('done' in line) {
        if (line.done !== count) throw new Error(`the redaction plan ${path} holds ${count} spans, its count line says ${line.done}`);
        return;
      }
      if (!('spans' in line)) throw new Error(`the redaction plan ${path} has a line of no known kind`);
      for (const [start, end, replacement] of line.spans) {
        count += 1;
        yield { start, end, replacement };
      }
    }
    throw new Error(`the redaction plan ${path} is incomplete`);
  }
  return { header, spans: spans() };
}

export async function writeRedactResult(store: WorkObjects, workId: string, result: RedactResult): Promise<void> {
  await store.putWork(resultPath(workId), Readable.from([Buffer.from(JSON.stringify(result))]));
}

export async function readRedactResult(store: WorkObjects, workId: string): Promise<RedactResult> {
  const parts: Buffer[] = [];
  for await (const chunk of opened(store, resultPath(workId))) parts.push(chunk);
  const result = JSON.parse(Buffer.concat(parts).toString('utf8')) as RedactResult;
  if (result.v !== 1) throw new Error(`the redaction result of ${workId} has version ${String(result.v)}: upgrade this worker`);
  return result;
}

/** One parsed value per line; a chunk may end inside a multi-byte character or a line. */
async function* jsonLines(chunks: AsyncIterable<Buffer>): AsyncGenerator<unknown> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of chunks) {
    const lines = (rest + decoder.write(chunk)).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) if (line) yield JSON.parse(line);
  }
  rest += decoder.end();
  if (rest) yield JSON.parse(rest);
}
