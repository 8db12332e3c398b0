import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { generateCorpus } from '@tftsr/pii/corpus/corpus-generator';

const blocks: Partial<Record<Density, Buffer>> = {};

/**
 * `dense`: every line from the labelled-corpus generator, most with PII (a worst case).
 * `sparse`: one such line in twenty, the rest ordinary service lines: closer to what real logs hold.
 */
export type Density = 'dense' | 'sparse';

const FILLER = [
  'INFO  [http-nio-8080-exec-4] c.e.api.RequestLog - GET /v2/orders status=200 bytes=5120 duration_ms=35',
  'DEBUG [pool-3-thread-1] o.a.k.c.c.i.Fetcher - fetch offset=88123 partition=orders-3 records=500',
  'WARN  [scheduler-1] c.e.sync.Reconciler - lag=1204 ms above threshold 1000 ms, backing off 250 ms',
  'INFO  [main] o.s.b.w.e.tomcat.TomcatWebServer - Tomcat started on port(s): 8080 (http)',
];

function corpusBlock(density: Density): Buffer {
  const cached = blocks[density];
  if (cached) return cached;
  const corpus = generateCorpus({ seed: 7, targetBytes: density === 'dense' ? 1 << 20 : 64 << 10 }).bytes;
  if (density === 'dense') return (blocks.dense = corpus);
  const lines = corpus
    .toString('latin1')
    .split('\n')
    .filter((l) => l.length > 0);
  const out: string[] = [];
  lines.forEach((line, i) => {
    for (let j = 0; j < 19; j += 1)
      out.push(`2026-11-27 10:${String(i % 60).padStart(2, '0')}:${String(j).padStart(2, '0')} ${FILLER[(i + j) % FILLER.length]}`);
    out.push(line);
  });
  return (blocks.sparse = Buffer.from(`${out.join('\n')}\n`, 'latin1'));
}

/** `totalBytes` of log, made by repeating a block: a stream, so a gigabyte never sits in memory. */
export function repeatedLog(totalBytes: number, density: Density = 'dense'): Readable {
  const source = corpusBlock(density);
  let left = totalBytes;
  return new Readable({
    read() {
      if (left <= 0) return void this.push(null);
      const piece = left >= source.length ? source : source.subarray(0, left);
      left -= piece.length;
      this.push(piece);
    },
  });
}

/** A digest of a span list, to compare millions of spans without holding them. */
export class SpanDigest {
  private readonly hash = createHash('sha256');
  count = 0;

  add(span: { pii_type: string; start: number; end: number }): void {
    this.hash.update(`${span.pii_type}:${span.start}:${span.end};`);
    this.count += 1;
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}
