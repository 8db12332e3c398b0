import * as protobuf from 'protobufjs';
// snappyjs ships no types: uncompress(buffer, maxLength) throws past maxLength, before allocating.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const snappy = require('snappyjs') as { uncompress(data: Buffer, maxLength?: number): Buffer };
import { isUtf8 } from 'node:buffer';
import { DomainError, ErrorCode } from '../common/domain-error';

/** Lines for one stream: whole lines, each ending in one \n. */
export interface StreamLines {
  stream: string;
  issueId: string | null;
  lines: string[];
}

export const STREAM_NAME = /^[A-Za-z0-9._-]{1,128}$/;
const NEWLINE = 0x0a;
const CR = 0x0d;
const MAX_LABELS_LENGTH = 1024;

function invalid(message: string): DomainError {
  return new DomainError(ErrorCode.INVALID_INGEST_BODY, message);
}

/** Text or NDJSON: one line per line; a trailing newline does not make an empty line. Bytes are kept as sent. */
export function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
}

/** The chunk's bytes for some lines; a line's own newlines are kept as `\n` escapes, so one entry stays one line. */
export function toChunkBytes(lines: string[]): Buffer {
  return Buffer.from(lines.map((l) => `${l.replace(/\r?\n/g, '\\n')}\n`).join(''), 'utf8');
}

/** One stream's lines as they go into its chunk: their bytes, each line ending in one \n, and how many there are. */
export interface ChunkLines {
  stream: string;
  issueId: string | null;
  data: Buffer;
  lines: number;
}

export function toChunkLines(s: StreamLines): ChunkLines {
  return { stream: s.stream, issueId: s.issueId, data: toChunkBytes(s.lines), lines: s.lines.length };
}

/**
 * A text or NDJSON body's chunk bytes: toChunkBytes(splitLines(text)). A body that already is whole lines of valid
 * UTF-8 without a CR (what shippers send) comes out byte for byte as sent, so it is taken without splitting it.
 */
export function textChunkLines(body: Buffer): { data: Buffer; lines: number } {
  if (body.length > 0 && body[body.length - 1] === NEWLINE && !body.includes(CR) && isUtf8(body)) {
    let lines = 0;
    for (let at = body.indexOf(NEWLINE); at !== -1; at = body.indexOf(NEWLINE, at + 1)) lines += 1;
    return { data: body, lines };
  }
  const lines = splitLines(body.toString('utf8'));
  return { data: toChunkBytes(lines), lines: lines.length };
}

// Loki's push.proto (github.com/grafana/loki/pkg/push/push.proto), the fields a push carries.
const LOKI_PROTO = `
syntax = "proto3";
package logproto;
message PushRequest { repeated StreamAdapter streams = 1; }
message StreamAdapter { string labels = 1; repeated EntryAdapter entries = 2; uint64 hash = 3; }
message EntryAdapter { Timestamp timestamp = 1; string line = 2; repeated LabelPairAdapter structuredMetadata = 3; }
message LabelPairAdapter { string name = 1; string value = 2; }
message Timestamp { int64 seconds = 1; int32 nanos = 2; }
`;
const PushRequest = protobuf.parse(LOKI_PROTO).root.lookupType('logproto.PushRequest');

/** Loki's label string `{a="b", c="d"}` as an object. */
export function parseLabelString(text: string): Record<string, string> {
  const body = text.trim().replace(/^\{/, '').replace(/\}$/, '');
  const labels: Record<string, string> = {};
  const pair = /\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|$)/y;
  let at = 0;
  while (at < body.length) {
    pair.lastIndex = at;
    const m = pair.exec(body);
    if (!m) throw invalid(`labels ${JSON.stringify(text.slice(0, 200))} are not of the form {name="value", ...}`);
    labels[m[1]] = JSON.parse(`"${m[2]}"`) as string;
    at = pair.lastIndex;
  }
  return labels;
}

/** The stream name of a label set: the labels other than tftsr_issue, sorted, as Loki writes them. */
function streamOf(labels: Record<string, string>): StreamLines {
  const issueId = labels.tftsr_issue ?? null;
  const names = Object.keys(labels)
    .filter((k) => k !== 'tftsr_issue')
    .sort();
  const stream = `{${names.map((k) => `${k}=${JSON.stringify(labels[k])}`).join(', ')}}`;
  if (stream.length > MAX_LABELS_LENGTH) throw invalid(`a stream's labels are longer than ${MAX_LABELS_LENGTH} characters`);
  return { stream, issueId, lines: [] };
}

/** A Loki push in JSON (`{"streams":[{"stream":{...},"values":[["ns","line"],...]}]}`). */
export function parseLokiJson(body: Buffer): StreamLines[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw invalid(`the push body is not JSON: ${(err as Error).message}`);
  }
  const streams = (parsed as { streams?: unknown })?.streams;
  if (!Array.isArray(streams)) throw invalid('the push body needs a "streams" array');
  return streams.map((s: { stream?: unknown; values?: unknown }) => {
    if (typeof s?.stream !== 'object' || s.stream === null || !Array.isArray(s.values))
      throw invalid('each stream needs "stream" labels and "values"');
    const labels = Object.fromEntries(Object.entries(s.stream as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
    const out = streamOf(labels);
    for (const value of s.values as unknown[]) {
      if (!Array.isArray(value) || typeof value[1] !== 'string') throw invalid('each value is ["<unix ns>", "<line>"]');
      out.lines.push(value[1]);
    }
    return out;
  });
}

/** A Loki push in protobuf, snappy block-compressed, refused past `maxBytes` uncompressed. */
export function parseLokiProtobuf(body: Buffer, maxBytes: number): StreamLines[] {
  let decoded: { streams?: { labels?: string; entries?: { line?: string }[] }[] };
  try {
    const raw = snappy.uncompress(body, maxBytes);
    decoded = PushRequest.toObject(PushRequest.decode(raw), { defaults: true });
  } catch (err) {
    throw invalid(`the push body is not snappy-compressed protobuf: ${(err as Error).message}`);
  }
  return (decoded.streams ?? []).map((s) => {
    const out = streamOf(parseLabelString(s.labels ?? '{}'));
    for (const entry of s.entries ?? []) out.lines.push(entry.line ?? '');
    return out;
  });
}

export type BulkOp = 'index' | 'create' | 'update' | 'delete';

export interface BulkItem {
  op: BulkOp;
  index: string | undefined;
  id: string | undefined;
  /** The document as sent (one NDJSON line), for index and create. */
  doc?: string;
  /** Why this item is refused, ES style (type, reason), or undefined when it is accepted. */
  error?: { status: number; type: string; reason: string };
}

/** An Elasticsearch _bulk body: action lines, each followed by its document except for delete. */
export function parseBulk(body: Buffer, defaultIndex: string | undefined): BulkItem[] {
  const lines = splitLines(body.toString('utf8')).filter((l) => l.trim() !== '');
  const items: BulkItem[] = [];
  for (let i = 0; i < lines.length; i++) {
    let action: Record<string, { _index?: unknown; _id?: unknown }>;
    try {
      action = JSON.parse(lines[i]) as typeof action;
    } catch {
      throw invalid(`line ${i + 1} of the bulk body is not a JSON action`);
    }
    const op = Object.keys(action ?? {})[0] as BulkOp;
    if (!['index', 'create', 'update', 'delete'].includes(op)) throw invalid(`line ${i + 1}: unknown bulk action ${JSON.stringify(op)}`);
    const meta = action[op] ?? {};
    const item: BulkItem = {
      op,
      index: typeof meta._index === 'string' ? meta._index : defaultIndex,
      id: typeof meta._id === 'string' ? meta._id : undefined,
    };
    if (op !== 'delete') {
      const doc = lines[++i];
      if (doc === undefined) throw invalid(`the ${op} action on line ${i} has no document`);
      try {
        JSON.parse(doc);
      } catch {
        throw invalid(`line ${i + 1} of the bulk body is not a JSON document`);
      }
      item.doc = doc;
    }
    if (op === 'update' || op === 'delete') {
      item.error = {
        status: 400,
        type: 'action_request_validation_exception',
        reason: `${op} is not supported: shipped lines are append-only`,
      };
    }
    items.push(item);
  }
  return items;
}
