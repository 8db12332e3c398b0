import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusFile } from '../pii/bench-corpus';
import { cliScanSeconds, ripgrepSeconds, streamScan } from '../pii/pii-timing';
import { RG_PATTERNS } from '../pii/rg-patterns';
import type { BenchContext, BenchGroup, Measured } from '../support/context';
import { alternate } from '../support/stats';

const mbps = (bytes: number, seconds: number): number => bytes / 1e6 / seconds;

/** The compiled CLI, as `npm install -g` or `npx tftsr` runs it: dist/bench/groups → the repository's bin/. */
const TFTSR_BIN = join(__dirname, '..', '..', '..', 'bin', 'tftsr.js');

/**
 * The engine on one core against ripgrep on the same core, same file, same 18 types; and the whole `tftsr pii
 * scan --json` process against the whole `rg` process.
 */
export const piiGroup: BenchGroup = {
  name: 'PII detection',
  needs: { 'pii-detect': ['rg'], 'pii-cli': ['rg'] },
  async run(ctx, rows) {
    const patterns = join(ctx.scratch, 'rg-patterns.txt');
    writeFileSync(patterns, `${RG_PATTERNS.join('\n')}\n`);
    return {
      ...(rows.has('pii-detect') ? { 'pii-detect': await engineRow(ctx, patterns) } : {}),
      ...(rows.has('pii-cli') ? { 'pii-cli': await cliRow(ctx, patterns) } : {}),
    };
  },
};

async function engineRow(ctx: BenchContext, patterns: string): Promise<Measured> {
  const corpus = await corpusFile(ctx.scratch, ctx.scale.piiBytes, ctx.options.loghubDir);
  const cpu = ctx.pinning.clientCpu;
  let spans = 0;
  // The warm-up lets V8 compile the scanner's regexes and hot functions before anything is counted.
  const runs = await ctx.pinning.self(cpu, () =>
    alternate(
      1,
      ctx.options.runs,
      async () => {
        const scan = await streamScan(corpus.path);
        spans = scan.spans;
        return mbps(corpus.bytes, scan.seconds);
      },
      async () =>
        mbps(
          corpus.bytes,
          ripgrepSeconds(corpus.path, patterns, (c, a) => ctx.pinning.command(cpu, c, a)),
        ),
    ),
  );
  return {
    runs,
    warmups: 1,
    pinning: ctx.pinning.describe(`the bench process (engine) and rg both pinned to CPU ${cpu}`),
    details: { corpus_bytes: corpus.bytes, corpus: corpus.source, spans, rg_patterns: RG_PATTERNS.length },
  };
}

/** Whole processes, spawned the same way and pinned to the same core; the warm-up only warms the page cache. */
async function cliRow(ctx: BenchContext, patterns: string): Promise<Measured> {
  const corpus = await corpusFile(ctx.scratch, ctx.scale.piiCliBytes, ctx.options.loghubDir);
  const cpu = ctx.pinning.clientCpu;
  const pin = (c: string, a: string[]) => ctx.pinning.command(cpu, c, a);
  let spans = 0;
  const runs = await alternate(
    1,
    ctx.options.runs,
    async () => {
      const scan = cliScanSeconds(TFTSR_BIN, corpus.path, pin);
      spans = scan.spans;
      return mbps(corpus.bytes, scan.seconds);
    },
    async () => mbps(corpus.bytes, ripgrepSeconds(corpus.path, patterns, pin)),
  );
  return {
    runs,
    warmups: 1,
    pinning: ctx.pinning.describe(`tftsr (node, all its threads) and rg both pinned to CPU ${cpu} with taskset`),
    details: { corpus_bytes: corpus.bytes, corpus: corpus.source, spans, rg_patterns: RG_PATTERNS.length, output: 'stdout to /dev/null' },
  };
}
