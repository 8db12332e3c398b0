import { closeSync, createReadStream, createWriteStream, openSync, promises as fsp, readSync } from 'node:fs';
import { resolve } from 'node:path';
import { Readable, pipeline as pipelineStreams } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Command, type Exit, runProgram } from '@tftsr/cli';
import { gunzipIfGzipped, notTextReason, textSniffer } from '@tftsr/storage/text-sniff';
import { type CliArgs, piiCommand } from './cli-args';
import { maskValue } from './mask';
import { PII_TYPE_ORDER, type PiiConfig, type PiiType } from './pii-types';
import type { RedactionSpan } from './redactor';
import type { SpanSink } from './scanner';

export interface CliWritable {
  write(chunk: string): unknown;
  once?(event: 'drain', listener: () => void): unknown;
}

export interface CliIo {
  stdout: CliWritable;
  stderr: CliWritable;
  /** What `-` reads; the process's standard input when omitted. */
  stdin?: AsyncIterable<Buffer>;
  /** Whether stderr is a terminal; progress is only drawn there. */
  isTTY?: boolean;
}

const READ_CHUNK = 1 << 20;
const PROGRESS_MIN_BYTES = 64 << 20;
const PROGRESS_EVERY_MS = 200;

class CliFailure extends Error {}

/** `tftsr pii scan|redact …` on its own; resolves to the exit code. Writes only to the given streams. */
export async function runPiiCli(argv: string[], io?: CliIo): Promise<number> {
  const out: CliIo = io ?? processStreams();
  const args = argv[0] === 'pii' ? argv : ['pii', ...argv];
  const lines = { out: (s: string) => out.stdout.write(`${s}\n`), err: (s: string) => out.stderr.write(`${s}\n`) };
  return runProgram((exit) => new Command('tftsr').addCommand(piiCliCommand(out, exit)), args, lines);
}

/** The `pii` command of the tftsr program, writing to `io` (the process's streams when omitted). */
export function piiCliCommand(io: CliIo | undefined, exit: Exit): Command {
  return piiCommand((args) => execute(args, io ?? processStreams()), exit);
}

function processStreams(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, isTTY: process.stderr.isTTY === true };
}

async function execute(args: CliArgs, out: CliIo): Promise<number> {
  const config: PiiConfig = { enabledTypes: args.types, allowList: args.allow };
  try {
    const size = await fileSize(args.file);
    const counts = args.command === 'scan' ? await scan(args, config, size, out) : await redact(args, config, size, out);
    out.stderr.write(summary(args.file, counts));
    return 0;
  } catch (e) {
    if (!(e instanceof CliFailure)) throw e;
    out.stderr.write(`pii: ${e.message}\n`);
    return 1;
  }
}

async function fileSize(file: string): Promise<number> {
  if (file === '-') return 0;
  try {
    const stat = await fsp.stat(file);
    if (!stat.isFile()) throw new CliFailure(`${file}: not a regular file`);
    return stat.size;
  } catch (e) {
    if (e instanceof CliFailure) throw e;
    throw new CliFailure(`${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

/**
 * The text of FILE, or of standard input for `-`: decompressed when it is gzip (sniffed, as the API does), refused
 * when it is not text. `onRead` sees the bytes read so far, before decompression, to draw progress against the size.
 */
function textOf(file: string, io: CliIo, onRead?: (bytes: number) => void): AsyncIterable<Buffer> {
  const raw: AsyncIterable<Buffer> = file === '-' ? (io.stdin ?? process.stdin) : createReadStream(file, { highWaterMark: READ_CHUNK });
  async function* counted(): AsyncGenerator<Buffer> {
    let read = 0;
    for await (const chunk of raw) {
      read += chunk.length;
      onRead?.(read);
      yield chunk;
    }
  }
  return pipelineStreams(Readable.from(gunzipIfGzipped(counted())), textSniffer(refusal), () => undefined);
}

function refusal(reason: string): CliFailure {
  return new CliFailure(`refusing binary input: ${reason}; pii reads text logs, plain or gzip-compressed`);
}

function failureOf(file: string, e: unknown): CliFailure {
  const name = file === '-' ? 'standard input' : file;
  const code = (e as NodeJS.ErrnoException).code;
  const gzip = typeof code === 'string' && code.startsWith('Z_') ? 'not valid gzip: ' : '';
  return new CliFailure(`${name}: ${gzip}${(e as Error).message}`);
}

/** Streams spans of `file`, counting them by type and drawing progress on a terminal for large files. */
async function* spansOf(args: CliArgs, config: PiiConfig, size: number, io: CliIo, counts: Map<PiiType, number>) {
  const progress = io.isTTY === true && size >= PROGRESS_MIN_BYTES ? progressDrawer(args.file, size, io) : undefined;
  // The engine is loaded by the command that runs it: `tftsr --help` and the other commands never compile its patterns.
  const { scanStream } = await import('./scanner');
  try {
    for await (const span of scanStream(textOf(args.file, io, progress), config)) {
      counts.set(span.pii_type, (counts.get(span.pii_type) ?? 0) + 1);
      yield span;
    }
  } catch (e) {
    throw failureOf(args.file, e);
  } finally {
    if (progress !== undefined) io.stderr.write('\r\x1b[K');
  }
}

/**
 * `pii scan`: spans go from the scanner's sink straight into lines of text, with no PiiSpan, no span bytes copied
 * (unless shown) and no promise per span; a regular file is read with plain reads into one reused buffer.
 */
async function scan(args: CliArgs, config: PiiConfig, size: number, io: CliIo): Promise<Map<PiiType, number>> {
  const progress = io.isTTY === true && size >= PROGRESS_MIN_BYTES ? progressDrawer(args.file, size, io) : undefined;
  // The engine is loaded by the command that runs it: `tftsr --help` and the other commands never compile its patterns.
  const { StreamScanner } = await import('./scanner');
  const perType = PII_TYPE_ORDER.map(() => 0);
  let batch = args.json ? '' : `${'TYPE'.padEnd(13)} ${'START'.padStart(12)} ${'END'.padStart(12)}  ${'REPLACEMENT'.padEnd(15)} VALUE\n`;
  let scanner: InstanceType<typeof StreamScanner> | undefined;
  // Called by the scanner while it hands the span over, so `scanner` is set and its bytes are still there.
  const original = (start: number, end: number) => (scanner as InstanceType<typeof StreamScanner>).original(start, end);
  const sink: SpanSink = (type, start, end, replacement) => {
    perType[type]++;
    if (!args.json) {
      batch += tableRow(PII_TYPE_ORDER[type], start, end, replacement, original(start, end), args.reveal);
    } else if (args.reveal) {
      const revealed = JSON.stringify(original(start, end).toString('utf8'));
      batch += `${JSON_HEADS[type]}${start},"end":${end},"replacement":${JSON.stringify(replacement)},"original":${revealed}}\n`;
    } else {
      batch += `${JSON_HEADS[type]}${start},"end":${end}${jsonTail(replacement)}`;
    }
  };
  let source: AsyncIterator<Buffer> | Iterator<Buffer> | undefined;
  try {
    try {
      scanner = new StreamScanner(config);
      source = chunksOf(args.file, io, progress);
      for (;;) {
        const next = await source.next();
        if (next.done === true) break;
        scanner.pushTo(next.value, sink);
        if (batch.length >= 1 << 16) {
          await write(io.stdout, batch);
          batch = '';
        }
      }
      scanner.endTo(sink);
    } catch (e) {
      throw failureOf(args.file, e);
    } finally {
      await source?.return?.();
    }
  } finally {
    if (progress !== undefined) io.stderr.write('\r\x1b[K');
  }
  if (batch.length > 0) await write(io.stdout, batch);
  return new Map(PII_TYPE_ORDER.flatMap((t, i) => (perType[i] > 0 ? [[t, perType[i]] as const] : [])));
}

/**
 * The bytes of FILE for `pii scan`. A regular file that is not gzip is read with plain reads into one buffer
 * reused for the whole file (the scanner copies what it keeps), and checked as `textOf` checks it: the first read
 * is what the text sniffer sees first. Standard input and gzip go through `textOf`.
 */
function chunksOf(file: string, io: CliIo, onRead?: (bytes: number) => void): AsyncIterator<Buffer> | Iterator<Buffer> {
  if (file === '-') return textOf(file, io, onRead)[Symbol.asyncIterator]();
  const fd = openSync(file, 'r');
  let buffer: Buffer;
  let first: number;
  try {
    buffer = Buffer.allocUnsafe(READ_CHUNK);
    first = readSync(fd, buffer, 0, READ_CHUNK, null);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  if (first >= 2 && buffer[0] === 0x1f && buffer[1] === 0x8b) {
    closeSync(fd);
    return textOf(file, io, onRead)[Symbol.asyncIterator]();
  }
  onRead?.(first);
  const reason = notTextReason(buffer.subarray(0, first));
  if (reason !== null) {
    closeSync(fd);
    throw refusal(reason);
  }
  return (function* read(): Generator<Buffer> {
    try {
      let total = first;
      if (first > 0) yield buffer.subarray(0, first);
      for (let n = readSync(fd, buffer, 0, READ_CHUNK, null); n > 0; n = readSync(fd, buffer, 0, READ_CHUNK, null)) {
        total += n;
        onRead?.(total);
        yield buffer.subarray(0, n);
      }
    } finally {
      closeSync(fd);
    }
  })();
}

/** `{"pii_type":"T","start":` for each type, built once. */
const JSON_HEADS: readonly string[] = PII_TYPE_ORDER.map((t) => `{"pii_type":${JSON.stringify(t)},"start":`);

/** `,"replacement":"R"}\n` for each replacement, escaped once: replacements are a handful of constants. */
const jsonTails = new Map<string, string>();

function jsonTail(replacement: string): string {
  let tail = jsonTails.get(replacement);
  if (tail === undefined) jsonTails.set(replacement, (tail = `,"replacement":${JSON.stringify(replacement)}}\n`));
  return tail;
}

function tableRow(type: PiiType, start: number, end: number, replacement: string, original: Buffer, reveal: boolean): string {
  const value = reveal ? JSON.stringify(original.toString('utf8')) : maskValue(type, original);
  return `${type.padEnd(13)} ${String(start).padStart(12)} ${String(end).padStart(12)}  ${replacement.padEnd(15)} ${value}\n`;
}

/** Two reads of FILE: spans first, then the copy; written beside OUT and renamed so OUT is never half-written. */
async function redact(args: CliArgs, config: PiiConfig, size: number, io: CliIo): Promise<Map<PiiType, number>> {
  const output = args.output as string;
  if (resolve(output) === resolve(args.file)) throw new CliFailure('refusing to overwrite FILE with its redacted copy');
  const counts = new Map<PiiType, number>();
  const spans: RedactionSpan[] = [];
  for await (const s of spansOf(args, config, size, io, counts)) spans.push({ start: s.start, end: s.end, replacement: s.replacement });
  const tmp = `${output}.tmp-${process.pid}`;
  const { redactStream } = await import('./redactor');
  try {
    await pipeline(Readable.from(redactStream(textOf(args.file, io), spans)), createWriteStream(tmp));
    await fsp.rename(tmp, output);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw new CliFailure(`${output}: ${(e as Error).message}`);
  }
  io.stderr.write(`pii: wrote ${output}\n`);
  return counts;
}

function summary(file: string, counts: Map<PiiType, number>): string {
  if (file === '-') file = 'standard input';
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return `pii: no PII found in ${file}\n`;
  const rows = PII_TYPE_ORDER.filter((t) => counts.has(t)).map((t) => `  ${t.padEnd(13)} ${counts.get(t)}\n`);
  return `pii: ${total} span${total === 1 ? '' : 's'} in ${file}\n${rows.join('')}`;
}

function progressDrawer(file: string, size: number, io: CliIo): (bytes: number) => void {
  let last = 0;
  return (bytes) => {
    const now = Date.now();
    if (now - last < PROGRESS_EVERY_MS) return;
    last = now;
    const pct = Math.floor((bytes / size) * 100);
    io.stderr.write(`\rpii: scanning ${file} ${pct}% (${(bytes / 2 ** 20).toFixed(0)}/${(size / 2 ** 20).toFixed(0)} MiB)`);
  };
}

async function write(stream: CliWritable, text: string): Promise<void> {
  if (stream.write(text) === false && stream.once !== undefined) {
    await new Promise<void>((done) => stream.once?.('drain', done));
  }
}
