import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { MAX_PEM_BYTES } from './detectors/secret-detectors';
import { PII_TYPE_ORDER, type PiiConfig, type PiiSpan } from './pii-types';
import type { PackedSpans, SegmentTask } from './scan-worker';
import { scanStream } from './scanner';

export interface ParallelScanOptions {
  config?: PiiConfig;
  /** Worker threads; default: available cores. */
  workers?: number;
  /** Files smaller than this are scanned on the calling thread. Default 8 MiB. */
  minParallelBytes?: number;
}

const PROBE_BYTES = 64 * 1024;

/**
 * Scans a file with worker threads, one segment each; same result as scanStream over the file. Segments end
 * at a line break outside any PEM block: every other detector finds and resumes within a line, so a fresh scan
 * from a line start equals the sequential scan there. The single-thread scanStream stays the primary API.
 */
export async function scanFileParallel(path: string, options: ParallelScanOptions = {}): Promise<PiiSpan[]> {
  const { size } = await stat(path);
  const workers = Math.max(1, Math.min(options.workers ?? availableParallelism(), 16));
  const config = options.config ?? {};
  if (workers === 1 || size < (options.minParallelBytes ?? 8 << 20)) {
    const spans: PiiSpan[] = [];
    for await (const span of scanStream(createReadStream(path, { highWaterMark: 1 << 20 }), config)) spans.push(span);
    return spans;
  }
  const bounds = await segmentBounds(path, size, workers);
  const parts = await Promise.all(bounds.slice(1).map((until, i) => runWorker({ path, from: bounds[i], until, config })));
  return joinSegments(parts.map((p) => unpack(p, config)));
}

/** Start offsets of the segments and the file size, each boundary just after a "\n" and not inside a PEM block. */
async function segmentBounds(path: string, size: number, segments: number): Promise<number[]> {
  const file = await open(path, 'r');
  try {
    const read = async (start: number, length: number): Promise<Buffer> => {
      const buf = Buffer.alloc(Math.max(0, Math.min(length, size - start)));
      const { bytesRead } = await file.read(buf, 0, buf.length, start);
      return buf.subarray(0, bytesRead);
    };
    const bounds = [0];
    for (let i = 1; i < segments; i++) {
      const ahead = await read(Math.floor((size * i) / segments), PROBE_BYTES);
      const nl = ahead.indexOf(10);
      let b = nl < 0 ? -1 : Math.floor((size * i) / segments) + nl + 1;
      // Move the boundary before any "BEGIN " close enough behind it to start a block that reaches past it.
      for (let tries = 0; b > 0 && tries < 8; tries++) {
        const lookback = Math.min(b, MAX_PEM_BYTES + 64);
        const behind = await read(b - lookback, lookback);
        const begin = behind.lastIndexOf('BEGIN ');
        if (begin < 0) break;
        const lineStart = behind.lastIndexOf(10, begin);
        b = lineStart < 0 ? -1 : b - lookback + lineStart + 1;
      }
      if (b > bounds[bounds.length - 1] && b < size) bounds.push(b);
    }
    bounds.push(size);
    return bounds;
  } finally {
    await file.close();
  }
}

// Under ts-jest the worker entry is TypeScript: compile it on load with the typescript devDependency.
const TS_LOADER = `
const ts = require(require.resolve('typescript', { paths: [process.cwd()] }));
require.extensions['.ts'] = (m, file) => m._compile(ts.transpileModule(require('fs').readFileSync(file, 'utf8'),
  { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true }, fileName: file }).outputText, file);
`;

function runWorker(task: SegmentTask): Promise<PackedSpans> {
  const entry = join(__dirname, `scan-worker${extname(__filename)}`);
  const worker = entry.endsWith('.ts')
    ? new Worker(`${TS_LOADER}require(${JSON.stringify(entry)});`, { eval: true, workerData: task })
    : new Worker(entry, { workerData: task });
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => code !== 0 && reject(new Error(`scan worker exited with code ${code}`)));
  });
}

function unpack(p: PackedSpans, config: PiiConfig): PiiSpan[] {
  const originals = Buffer.from(p.originals.buffer, p.originals.byteOffset, p.originals.byteLength);
  const rules = config.customRules ?? [];
  let at = 0;
  return Array.from(p.types, (t, i) => {
    const type = PII_TYPE_ORDER[t];
    const length = p.ends[i] - p.starts[i];
    at += length;
    const span: PiiSpan = {
      pii_type: type,
      start: p.starts[i],
      end: p.ends[i],
      replacement: `[${type}]`,
      original: originals.subarray(at - length, at),
    };
    const rule = rules[p.rules[i]];
    if (rule !== undefined) {
      span.rule = rule.name;
      span.replacement = rule.replacement ?? `[${rule.name}]`;
    }
    return span;
  });
}

/** Concatenates per-segment spans, merging the pairs that touch or overlap across a boundary. */
function joinSegments(parts: PiiSpan[][]): PiiSpan[] {
  const out: PiiSpan[] = [];
  for (const span of parts.flat()) {
    const last = out[out.length - 1];
    if (last === undefined || span.start > last.end) {
      out.push(span);
      continue;
    }
    const named = PII_TYPE_ORDER.indexOf(span.pii_type) < PII_TYPE_ORDER.indexOf(last.pii_type) ? span : last;
    const tail = span.end > last.end ? span.original.subarray(last.end - span.start) : Buffer.alloc(0);
    out[out.length - 1] = {
      pii_type: named.pii_type,
      start: last.start,
      end: Math.max(last.end, span.end),
      replacement: named.replacement,
      original: Buffer.concat([last.original, tail]),
      ...(named.rule === undefined ? {} : { rule: named.rule }),
    };
  }
  return out;
}
