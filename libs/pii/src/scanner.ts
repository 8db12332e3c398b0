import type { Hit } from './detectors/detector';
import { CONTEXT_BYTES, MAX_BACK_BYTES, OVERLAP_BYTES, PiiEngine } from './engine';
import { type MergedSpan, mergeHits } from './merger';
import { PII_TYPE_ORDER, type PiiConfig, type PiiSpan } from './pii-types';

export type ByteSource = AsyncIterable<Buffer | Uint8Array | string>;

export interface ScanOptions {
  /** Bytes committed per window; memory use is a few times this plus 17 KiB. Default about 110 KiB. */
  windowBytes?: number;
  /** Called after each window with the number of input bytes consumed so far. */
  onProgress?: (bytesRead: number) => void;
}

/**
 * Scans part of a file: the bytes pushed start at offset `base`, and only candidates found in [from, until) are
 * reported. The caller pushes CONTEXT_BYTES before `from` and OVERLAP_BYTES after `until` (see parallel.ts).
 */
export interface SegmentOptions {
  base: number;
  from: number;
  until: number;
}

/**
 * Receives each final span of `pushTo`/`endTo` without a PiiSpan being built: `type` indexes PII_TYPE_ORDER,
 * `replacement` is shared (a constant per type, or the custom rule's), `rule` names a Custom span's rule. During
 * the call (not after), the scanner's `original(start, end)` copies the span's bytes.
 */
export type SpanSink = (type: number, start: number, end: number, replacement: string, rule: string | undefined) => void;

/** `[Type]` for each type, built once: a span of a built-in type allocates no string for its replacement. */
const REPLACEMENTS: readonly string[] = PII_TYPE_ORDER.map((t) => `[${t}]`);
const CUSTOM = PII_TYPE_ORDER.indexOf('Custom');

// Window plus carry stays within 128 KiB: the decoded string is then a young-generation object rather than a
// large one, and the window stays in a core's L2 cache while a dozen passes re-read it. Measured against 960 KiB
// windows: 4% faster on one thread, 25% faster with two worker threads (they contend for L3 otherwise). Beyond
// Node's EXTERN_APEX (1,031,913 bytes) a decode becomes an external string and costs 5x more.
const DEFAULT_WINDOW_BYTES = 128 * 1024 - CONTEXT_BYTES - OVERLAP_BYTES - 256;

/**
 * Scans a byte stream window by window. Each window is decoded as latin1, so a string index is a byte offset.
 * Window n+1 starts CONTEXT_BYTES before where window n committed and each pass resumes where it stopped, so
 * the result equals one scan over the whole input (see scanner.spec.ts for the property test).
 */
export class StreamScanner {
  private readonly engine: PiiEngine;
  private readonly windowBytes: number;
  /** Scan when `len` reaches this: a window past what the last scan kept. */
  private scanAt: number;
  private readonly resume: number[];
  private readonly until: number;
  /** Bytes [0, len) of `work` are the input from offset `base`; reused so a window allocates no buffer. */
  private work: Buffer;
  private len = 0;
  private base: number;
  private pending: MergedSpan[] = [];

  constructor(config: PiiConfig = {}, windowBytes = DEFAULT_WINDOW_BYTES, segment?: SegmentOptions) {
    this.engine = new PiiEngine(config);
    this.windowBytes = Math.max(1, windowBytes);
    this.scanAt = CONTEXT_BYTES + OVERLAP_BYTES + this.windowBytes;
    this.work = Buffer.allocUnsafe(Math.min(this.scanAt * 2, 1 << 24));
    this.base = segment?.base ?? 0;
    this.until = segment?.until ?? Infinity;
    this.resume = this.engine.detectors.map(() => segment?.from ?? 0);
  }

  /** Adds bytes; returns the spans that can no longer change. */
  push(chunk: Buffer): PiiSpan[] {
    const spans: PiiSpan[] = [];
    this.pushTo(chunk, this.collector(spans));
    return spans;
  }

  /** Scans what is left; returns the remaining spans. */
  end(): PiiSpan[] {
    const spans: PiiSpan[] = [];
    this.endTo(this.collector(spans));
    return spans;
  }

  /**
   * Adds bytes and hands each span that can no longer change to `sink`, in order, without building a PiiSpan
   * or copying its bytes (the CLI writes JSON lines straight from these). Same spans as `push`.
   */
  pushTo(chunk: Buffer, sink: SpanSink): void {
    for (let off = 0; off < chunk.length;) {
      if (this.len === this.work.length) this.grow();
      // Never past scanAt, so every decoded window has the size the default was chosen for.
      const n = Math.min(this.work.length - this.len, chunk.length - off, this.scanAt - this.len);
      chunk.copy(this.work, this.len, off, off + n);
      this.len += n;
      off += n;
      if (this.len >= this.scanAt) this.scan(false, sink);
    }
  }

  /** Scans what is left and hands the remaining spans to `sink`. */
  endTo(sink: SpanSink): void {
    this.scan(true, sink);
  }

  /** A copy of input bytes [start, end) (absolute offsets) of a span being handed to a sink. */
  original(start: number, end: number): Buffer {
    return this.copyOut(start - this.base, end - this.base);
  }

  private collector(spans: PiiSpan[]): SpanSink {
    return (type, start, end, replacement, rule) => {
      const span: PiiSpan = { pii_type: PII_TYPE_ORDER[type], start, end, replacement, original: this.original(start, end) };
      if (rule !== undefined) span.rule = rule;
      spans.push(span);
    };
  }

  /** Only when pending spans hold the start back, or for a whole-buffer scan (windowBytes = Infinity). */
  private grow(): void {
    const bigger = Buffer.allocUnsafe(this.work.length * 2);
    this.work.copy(bigger, 0, 0, this.len);
    this.work = bigger;
  }

  private scan(final: boolean, sink: SpanSink): void {
    const { work, base, len } = this;
    const limit = Math.min(final ? len : len - OVERLAP_BYTES, this.until - base);
    const from = this.resume.map((r) => r - base);
    const hits: Hit[] = [];
    this.engine.scanWindow(work.toString('latin1', 0, len), from, limit, base, hits);
    from.forEach((f, i) => (this.resume[i] = f + base));

    const merged = mergeHits(this.pending.length > 0 ? [...this.pending, ...hits] : hits);
    // Later hits start at or after (limit - MAX_BACK_BYTES); a span ending before that is final.
    const safe = final ? Infinity : base + limit - MAX_BACK_BYTES;
    let done = 0;
    while (done < merged.length && merged[done].end < safe) done++;
    // Handed out before the work buffer moves: a sink may copy a span's bytes.
    for (let k = 0; k < done; k++) this.emit(merged[k], sink);
    this.pending = done === 0 ? merged : merged.slice(done);

    if (limit <= 0) return;
    const keepFrom = Math.min(base + limit - CONTEXT_BYTES, this.pending[0]?.start ?? Infinity);
    if (keepFrom > base) {
      work.copyWithin(0, keepFrom - base, len);
      this.len = len - (keepFrom - base);
      this.base = keepFrom;
    }
    this.scanAt = Math.max(CONTEXT_BYTES + OVERLAP_BYTES, this.len) + this.windowBytes;
  }

  /** A copy, since the work buffer is reused for the next window (one allocation, not a view plus a copy). */
  private copyOut(start: number, end: number): Buffer {
    const out = Buffer.allocUnsafe(end - start);
    this.work.copy(out, 0, start, end);
    return out;
  }

  private emit(m: MergedSpan, sink: SpanSink): void {
    if (m.type === CUSTOM && m.rule !== undefined) {
      const rule = this.engine.customRules[m.rule];
      sink(m.type, m.start, m.end, rule.replacement, rule.name);
    } else {
      sink(m.type, m.start, m.end, REPLACEMENTS[m.type], undefined);
    }
  }
}

/** push(...items) passes every item as an argument and throws past ~120k of them; a window can hold that many. */
export function appendAll<T>(to: T[], items: readonly T[]): void {
  for (const item of items) to.push(item);
}

/** Scans a whole buffer. Offsets are byte offsets into `buf`; spans are merged and sorted. */
export function scanBuffer(buf: Buffer | Uint8Array, config: PiiConfig = {}, options: ScanOptions = {}): PiiSpan[] {
  const bytes = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const windowBytes = options.windowBytes ?? DEFAULT_WINDOW_BYTES;
  const scanner = new StreamScanner(config, windowBytes);
  const spans: PiiSpan[] = [];
  // Feed slices the size of a window so each window copies about windowBytes, not the whole buffer.
  const step = Math.min(Math.max(windowBytes, 1 << 16), bytes.length || 1);
  for (let i = 0; i < bytes.length; i += step) {
    appendAll(spans, scanner.push(bytes.subarray(i, i + step)));
    options.onProgress?.(Math.min(i + step, bytes.length));
  }
  appendAll(spans, scanner.end());
  return spans;
}

async function* windows(source: ByteSource, config: PiiConfig, options: ScanOptions): AsyncGenerator<PiiSpan[]> {
  const scanner = new StreamScanner(config, options.windowBytes);
  let read = 0;
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    read += bytes.length;
    const spans = scanner.push(bytes);
    options.onProgress?.(read);
    if (spans.length > 0) yield spans;
  }
  yield scanner.end();
}

/**
 * Scans an async byte stream (a Readable, or any AsyncIterable of Buffers or strings), yielding spans in order.
 * A hand-written iterator over each window's spans: resuming an async generator once per span cost 40% more.
 */
export function scanStream(source: ByteSource, config: PiiConfig = {}, options: ScanOptions = {}): AsyncIterableIterator<PiiSpan> {
  const batches = windows(source, config, options);
  let batch: PiiSpan[] = [];
  let i = 0;
  const iterator: AsyncIterableIterator<PiiSpan> = {
    [Symbol.asyncIterator]: () => iterator,
    async next(): Promise<IteratorResult<PiiSpan>> {
      while (i >= batch.length) {
        const r = await batches.next();
        if (r.done === true) return { done: true, value: undefined };
        batch = r.value;
        i = 0;
      }
      return { done: false, value: batch[i++] };
    },
    async return(): Promise<IteratorResult<PiiSpan>> {
      await batches.return(undefined);
      return { done: true, value: undefined };
    },
  };
  return iterator;
}
