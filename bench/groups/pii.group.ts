import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { corpusFile } from '../pii/bench-corpus';
import { ripgrepSeconds, streamScan } from '../pii/pii-timing';
import { RG_PATTERNS } from '../pii/rg-patterns';
import type { BenchGroup } from '../support/context';
import { alternate } from '../support/stats';

const mbps = (bytes: number, seconds: number): number => bytes / 1e6 / seconds;

/** The engine on one core against ripgrep on the same core, same file, same 18 types. */
export const piiGroup: BenchGroup = {
  name: 'PII detection',
  needs: { 'pii-detect': ['rg'] },
  async run(ctx) {
    const corpus = await corpusFile(ctx.scratch, ctx.scale.piiBytes, ctx.options.loghubDir);
    const patterns = join(ctx.scratch, 'rg-patterns.txt');
    writeFileSync(patterns, `${RG_PATTERNS.join('\n')}\n`);
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
      'pii-detect': {
        runs,
        warmups: 1,
        pinning: ctx.pinning.describe(`the bench process (engine) and rg both pinned to CPU ${cpu}`),
        details: { corpus_bytes: corpus.bytes, corpus: corpus.source, spans, rg_patterns: RG_PATTERNS.length },
      },
    };
  },
};
