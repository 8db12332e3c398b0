import type { BlobStore } from '@tftsr/storage';

export interface Found {
  start: number;
  /** 1-based line of `start`. */
  line: number;
}

/**
 * Every non-overlapping occurrence of `needle` in a stored file, with its line, in one streaming pass; occurrences
 * that straddle two chunks are found too. Stops after `max` (the caller refuses more).
 */
export async function findAll(blobs: BlobStore, path: string, needle: Buffer, max: number): Promise<Found[]> {
  const found: Found[] = [];
  let carry = Buffer.alloc(0);
  let offset = 0; // absolute offset of the next chunk
  let lines = 1; // line at absolute offset `offset`
  let lastEnd = 0;
  for await (const raw of blobs.openRead(path)) {
    const chunk = raw as Buffer;
    const buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    const base = offset - carry.length;
    // Lines are counted chunk by chunk; a match that starts in the carry counts back from the chunk's start.
    let counted = carry.length;
    let lineAtCounted = lines;
    for (let i = buf.indexOf(needle); i !== -1; i = buf.indexOf(needle, i + 1)) {
      if (base + i < lastEnd || i + needle.length <= carry.length) continue;
      let line: number;
      if (i >= counted) {
        lineAtCounted += countLf(buf, counted, i);
        counted = i;
        line = lineAtCounted;
      } else {
        line = lines - countLf(buf, i, carry.length);
      }
      found.push({ start: base + i, line });
      lastEnd = base + i + needle.length;
      if (found.length >= max) return found;
    }
    lines += countLf(chunk, 0, chunk.length);
    offset += chunk.length;
    carry = Buffer.from(buf.subarray(Math.max(0, buf.length - (needle.length - 1))));
  }
  return found;
}

/** The 1-based line of byte `target`, counting from a known line start. */
export async function lineAt(blobs: BlobStore, path: string, from: { line: number; byte: number }, target: number): Promise<number> {
  let line = from.line;
  let offset = from.byte;
  for await (const chunk of blobs.readFrom(path, from.byte)) {
    const upto = Math.min(chunk.length, target - offset);
    line += countLf(chunk, 0, upto);
    offset += chunk.length;
    if (offset >= target) break;
  }
  return line;
}

function countLf(buf: Buffer, from: number, to: number): number {
  let n = 0;
  for (let i = buf.indexOf(10, from); i !== -1 && i < to; i = buf.indexOf(10, i + 1)) n++;
  return n;
}
