import { open } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { CONTEXT_BYTES, OVERLAP_BYTES } from './engine';
import { PII_TYPE_ORDER, type PiiConfig, type PiiSpan } from './pii-types';
import { StreamScanner, appendAll } from './scanner';

export interface SegmentTask {
  path: string;
  from: number;
  until: number;
  config: PiiConfig;
}

/** Spans packed into transferable arrays: structured-cloning 100k span objects costs more than the scan. */
export interface PackedSpans {
  types: Uint8Array;
  /** The custom rule's index for a Custom span, else -1. */
  rules: Int16Array;
  starts: Float64Array;
  ends: Float64Array;
  originals: Uint8Array;
}

export function packSpans(spans: readonly PiiSpan[], config: PiiConfig = {}): PackedSpans {
  const types = new Uint8Array(spans.length);
  const rules = new Int16Array(spans.length);
  const ruleNames = (config.customRules ?? []).map((r) => r.name);
  const starts = new Float64Array(spans.length);
  const ends = new Float64Array(spans.length);
  spans.forEach((s, i) => {
    types[i] = PII_TYPE_ORDER.indexOf(s.pii_type);
    rules[i] = s.rule === undefined ? -1 : ruleNames.indexOf(s.rule);
    starts[i] = s.start;
    ends[i] = s.end;
  });
  // A fresh array, not Buffer.concat: a small concat result lives in the shared pool, which must not be transferred.
  const originals = new Uint8Array(spans.reduce((n, s) => n + s.original.length, 0));
  let at = 0;
  for (const s of spans) {
    originals.set(s.original, at);
    at += s.original.length;
  }
  return { types, rules, starts, ends, originals };
}

/** Scans bytes [from, until) of a file, reading the context and overlap around them. */
export async function scanSegment(task: SegmentTask): Promise<PiiSpan[]> {
  const base = Math.max(0, task.from - CONTEXT_BYTES);
  const end = task.until + OVERLAP_BYTES;
  const scanner = new StreamScanner(task.config, undefined, { base, from: task.from, until: task.until });
  const spans: PiiSpan[] = [];
  // One read buffer for the whole segment: threads of one process contend on allocating large buffers.
  const chunk = Buffer.allocUnsafe(1 << 18);
  const file = await open(task.path, 'r');
  try {
    for (let pos = base; pos < end;) {
      const { bytesRead } = await file.read(chunk, 0, Math.min(chunk.length, end - pos), pos);
      if (bytesRead === 0) break;
      appendAll(spans, scanner.push(chunk.subarray(0, bytesRead)));
      pos += bytesRead;
    }
  } finally {
    await file.close();
  }
  appendAll(spans, scanner.end());
  return spans;
}

if (parentPort !== null && workerData !== null && typeof workerData === 'object' && 'path' in workerData) {
  const port = parentPort;
  // A rejection is left unhandled on purpose: it ends the worker and reaches the parent as an 'error' event.
  void scanSegment(workerData as SegmentTask).then((spans) => {
    const packed = packSpans(spans, (workerData as SegmentTask).config);
    const transfer = [
      packed.types.buffer,
      packed.rules.buffer,
      packed.starts.buffer,
      packed.ends.buffer,
      packed.originals.buffer,
    ] as ArrayBuffer[];
    port.postMessage(packed, transfer);
  });
}
