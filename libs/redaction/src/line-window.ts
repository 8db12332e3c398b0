import { OVERLAP_BYTES } from '@tftsr/pii/engine';
import type { BlobStore } from '@tftsr/storage';

/** A manual byte range may cover at most this much. */
export const MAX_MANUAL_SPAN_BYTES = 64 * 1024;
/** A span that overlaps a window starts at most this far before it: the longest detection, or a manual range. */
export const SPAN_LOOKBACK_BYTES = Math.max(OVERLAP_BYTES, MAX_MANUAL_SPAN_BYTES);

export interface RawLine {
  number: number;
  byte_start: number;
  /** Exclusive, before the line feed. */
  byte_end: number;
  bytes: Buffer;
  /** The line is longer than MAX_LINE_BYTES; only its start is in `bytes`. */
  truncated: boolean;
}

/** A window shows at most this much of one line, so a file without line feeds cannot fill the API's memory. */
export const MAX_LINE_BYTES = 256 * 1024;

/**
 * Lines [from, from + count) of a stored file, reading from the indexed line start at or before `from`:
 * only the chunks that hold the window (and at most LINE_INDEX_STEP lines before it) are decrypted.
 */
export async function readLines(
  blobs: BlobStore,
  path: string,
  start: { line: number; byte: number },
  from: number,
  count: number,
): Promise<RawLine[]> {
  const lines: RawLine[] = [];
  const last = from + count - 1;
  let line = start.line;
  let lineStart = start.byte;
  let parts: Buffer[] = [];
  let kept = 0;
  let offset = start.byte;
  const keep = (piece: Buffer) => {
    if (line < from || kept >= MAX_LINE_BYTES) return;
    const take = piece.subarray(0, MAX_LINE_BYTES - kept);
    parts.push(take);
    kept += take.length;
  };
  const finish = (end: number) => {
    if (line >= from)
      lines.push({ number: line, byte_start: lineStart, byte_end: end, bytes: Buffer.concat(parts), truncated: end - lineStart > kept });
    parts = [];
    kept = 0;
    line++;
    lineStart = end + 1;
  };
  const source = blobs.readFrom(path, start.byte);
  try {
    for await (const chunk of source) {
      let pos = 0;
      for (let nl = chunk.indexOf(10); nl !== -1 && line <= last; nl = chunk.indexOf(10, pos)) {
        keep(chunk.subarray(pos, nl));
        finish(offset + nl);
        pos = nl + 1;
      }
      if (line > last) return lines;
      keep(chunk.subarray(pos));
      offset += chunk.length;
    }
    // The last line has no line feed: it ends with the file.
    if (offset > lineStart && line <= last) finish(offset);
    return lines;
  } finally {
    await source.return(undefined);
  }
}
