import { PassThrough, Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import type { NewPiiSpan } from '@tftsr/db';
import type { PiiConfig } from '@tftsr/pii';
import { BlobIntegrityError, BlobUnreadableError } from '@tftsr/storage';
import type { S3BlobStore } from '@tftsr/storage';
import type { PassTotals } from '../scan-blob';

/**
 * Work orders and results between a writer and its scanners (issue 19): objects under `work/` in the bucket,
 * sealed in the blob format under the blob key, since they hold the PII settings and the original values of spans.
 * A result is JSON lines, one per span batch, then one with the totals: written and read as a stream, so a file
 * with millions of spans never sits in memory on either side.
 */
export type WorkObjects = Pick<S3BlobStore, 'putWork' | 'readWork' | 'exists' | 'remove' | 'listWork'>;

export interface ScanOrder {
  v: 1;
  log_file_id: string;
  /** The blob's stored path (`blobs/xx/<uuid>.blob`). */
  blob_path: string;
  expected_size: number;
  /** hash: SHA-256 and size only; scan: those and the PII spans, under `config`. */
  mode: 'hash' | 'scan';
  config: PiiConfig | null;
}

type ResultLine = { spans: NewPiiSpan[] } | { done: PassTotals };

export const orderPath = (workId: string) => `work/${workId}.order`;
export const resultPath = (workId: string) => `work/${workId}.result`;

/**
 * A work object that is not (or no longer) in the bucket: released by the writer that committed its result (an
 * overlapping run of the same job), swept, or never written. Not a stored file that is missing (which never comes
 * back): on the writer's side the job's next attempt starts over or finds it done; a scanner drops the job.
 */
export class WorkObjectGone extends Error {
  constructor(readonly path: string) {
    super(`the scanner work object ${path} is gone: an overlapping run of the job released it, or the sweep removed it`);
    this.name = 'WorkObjectGone';
  }
}

/** A work object that this key does not open: after `db rekey`, a scanner's exported key is the old one. */
export class WorkKeyMismatch extends Error {
  constructor(path: string) {
    super(
      `the work object ${path} does not open with this scanner's blob key: the database key was changed (tftsr db rekey) ` +
        "or the key is not this deployment's; export it again on the database host (tftsr scanner export-key) and restart the scanner",
    );
    this.name = 'WorkKeyMismatch';
  }
}

export async function writeOrder(store: WorkObjects, workId: string, order: ScanOrder): Promise<void> {
  await store.putWork(orderPath(workId), Readable.from([Buffer.from(JSON.stringify(order))]));
}

export async function readOrder(store: WorkObjects, workId: string): Promise<ScanOrder> {
  const path = orderPath(workId);
  const parts: Buffer[] = [];
  for await (const chunk of opened(store, path)) parts.push(chunk);
  const order = JSON.parse(Buffer.concat(parts).toString('utf8')) as ScanOrder;
  if (order.v !== 1) throw new Error(`the work order ${path} has version ${String(order.v)}, this scanner reads 1: upgrade it`);
  return order;
}

/** Streams a result into the bucket as its batches come; `finish` completes (and verifies) the object. */
export class ResultWriter {
  private readonly stream = new PassThrough();
  private readonly upload: Promise<void>;

  constructor(store: WorkObjects, workId: string) {
    this.upload = store.putWork(resultPath(workId), this.stream);
    // Awaited in finish; an early failure must not be an unhandled rejection meanwhile.
    this.upload.catch(() => undefined);
  }

  /** Resolves once the line is taken (backpressure: the upload holds at most a few parts). */
  async batch(spans: NewPiiSpan[]): Promise<void> {
    await this.line({ spans });
  }

  async finish(totals: PassTotals): Promise<void> {
    await this.line({ done: totals });
    this.stream.end();
    await this.upload;
  }

  /** Nothing is stored: the multipart upload is aborted. */
  async abort(): Promise<void> {
    this.stream.destroy(new Error('the scan stopped'));
    await this.upload.catch(() => undefined);
  }

  private async line(line: ResultLine): Promise<void> {
    const written = this.stream.write(`${JSON.stringify(line)}\n`);
    if (written) return;
    await Promise.race([
      new Promise<void>((resolve) => this.stream.once('drain', resolve)),
      this.upload.then(() => {
        throw new Error('the result upload ended early');
      }),
    ]);
  }
}

/** Feeds a result's batches to `onBatch` in order, as they are read, and returns its totals. */
export async function readResult(
  store: WorkObjects,
  workId: string,
  onBatch: (spans: NewPiiSpan[]) => Promise<void> | void,
): Promise<PassTotals> {
  const path = resultPath(workId);
  // A chunk may end inside a multi-byte character: the decoder keeps its first bytes for the next one.
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let totals: PassTotals | undefined;
  const take = async (text: string) => {
    const line = JSON.parse(text) as ResultLine;
    if ('done' in line) totals = line.done;
    else await onBatch(line.spans);
  };
  for await (const chunk of opened(store, path)) {
    const text = rest + decoder.write(chunk);
    const lines = text.split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) if (line) await take(line);
  }
  rest += decoder.end();
  if (rest) await take(rest);
  if (!totals) throw new Error(`the scan result ${path} is incomplete`);
  return totals;
}

/** Removes a work item's order and result (after the writer's commit, or a stale one); best effort. */
export async function removeWork(store: WorkObjects, workId: string): Promise<void> {
  await Promise.allSettled([store.remove(orderPath(workId)), store.remove(resultPath(workId))]);
}

/** A work object's plaintext chunks; WorkKeyMismatch when this key does not open it, WorkObjectGone when it is missing. */
export async function* opened(store: WorkObjects, path: string): AsyncGenerator<Buffer> {
  try {
    yield* store.readWork(path);
  } catch (err) {
    if (err instanceof BlobIntegrityError && /does not unwrap/.test(err.message)) throw new WorkKeyMismatch(path);
    if (err instanceof BlobUnreadableError && err.code === 'ENOENT') throw new WorkObjectGone(path);
    throw err;
  }
}
