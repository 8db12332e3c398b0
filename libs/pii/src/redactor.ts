import type { ByteSource } from './scanner';

/** The part of a span the redactor needs; PiiSpan satisfies it. */
export interface RedactionSpan {
  start: number;
  end: number;
  replacement: string;
}

export type SpanSource = Iterable<RedactionSpan> | AsyncIterable<RedactionSpan>;

function toBuffer(chunk: Buffer | Uint8Array | string): Buffer {
  return typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

async function* inOrder(spans: SpanSource): AsyncGenerator<RedactionSpan> {
  let lastEnd = 0;
  for await (const s of spans) {
    // Overlapping or unsorted spans would leave bytes of a detection visible or duplicate a replacement.
    if (!(s.start >= lastEnd && s.end >= s.start)) {
      throw new RangeError(`spans must be sorted and merged: [${s.start}, ${s.end}) after end ${lastEnd}`);
    }
    lastEnd = s.end;
    yield s;
  }
}

/**
 * Copies a byte stream, replacing each span's bytes with its replacement (UTF-8). `spans` must be sorted and
 * non-overlapping, as scanBuffer and scanStream return them. Holds one input chunk at a time.
 */
export async function* redactStream(source: ByteSource, spans: SpanSource): AsyncGenerator<Buffer> {
  const it = inOrder(spans)[Symbol.asyncIterator]();
  let span = (await it.next()).value as RedactionSpan | undefined;
  let offset = 0;
  for await (const raw of source) {
    const chunk = toBuffer(raw);
    const chunkEnd = offset + chunk.length;
    const parts: Buffer[] = [];
    let pos = offset;
    while (span !== undefined && span.start < chunkEnd) {
      if (span.start > pos) parts.push(chunk.subarray(pos - offset, span.start - offset));
      // A span that began in an earlier chunk already wrote its replacement.
      if (span.start >= offset) parts.push(Buffer.from(span.replacement, 'utf8'));
      pos = Math.max(pos, Math.min(span.end, chunkEnd));
      if (span.end > chunkEnd) break;
      span = (await it.next()).value as RedactionSpan | undefined;
    }
    if (pos < chunkEnd) parts.push(chunk.subarray(pos - offset));
    offset = chunkEnd;
    if (parts.length > 0) yield parts.length === 1 ? Buffer.from(parts[0]) : Buffer.concat(parts);
  }
  // A span that starts at or after the end of the input still hides nothing; its replacement is dropped.
}

/** Redacts a whole buffer in memory. */
export function redactBuffer(buf: Buffer, spans: readonly RedactionSpan[]): Buffer {
  const parts: Buffer[] = [];
  let pos = 0;
  for (const s of spans) {
    if (!(s.start >= pos && s.end >= s.start)) {
      throw new RangeError(`spans must be sorted and merged: [${s.start}, ${s.end}) after end ${pos}`);
    }
    parts.push(buf.subarray(pos, s.start), Buffer.from(s.replacement, 'utf8'));
    pos = Math.min(s.end, buf.length);
  }
  parts.push(buf.subarray(pos));
  return Buffer.concat(parts);
}
