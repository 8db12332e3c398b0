import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import {
  deriveKey,
  loadMigrations,
  LogFileLineIndexRepository,
  migrate,
  openDatabase,
  PiiDecisionRepository,
  PiiFileValueRepository,
} from '@tftsr/db';
import { readLines, SPAN_LOOKBACK_BYTES, ValueKeys } from '@tftsr/redaction';
import { FsBlobStore } from '@tftsr/storage';
import { ADMIN_KEY, DB_KEY, startStack, withStack } from '../support/app-stack';
import type { BenchContext, BenchGroup, Measured } from '../support/context';
import { seedReviewFile } from '../support/review-corpus';
import { alternate, percentile, seconds } from '../support/stats';

/** The listings a reviewer asks for: the first page, one type, and the kept values (none: a full scan of values). */
const VALUE_QUERIES = ['limit=100', 'limit=100&type=IPv4', 'limit=100&decision=keep'];
const WINDOW = 200;

/**
 * The review endpoints of issue 12 on a large file with many spans: `GET pii/values` and a 200-line
 * `GET lines` window through the API, against the same work done directly in the bench process (the repository
 * query; readLines plus the window's spans) on the same encrypted files.
 */
export const reviewGroup: BenchGroup = {
  name: 'Redaction review',
  needs: { 'review-values': ['redis'], 'review-lines': ['redis'] },
  async run(ctx: BenchContext, rows) {
    const dataDir = join(ctx.scratch, 'data');
    mkdirSync(dataDir, { recursive: true });
    const seedStart = process.hrtime.bigint();
    const blobs = new FsBlobStore(dataDir, deriveKey(DB_KEY, 'blob-encryption'));
    const seedDb = openDatabase({ path: join(dataDir, 'tftsr.db'), key: DB_KEY });
    migrate(seedDb, loadMigrations());
    const { fileId, lines } = await seedReviewFile(seedDb, blobs, new ValueKeys(DB_KEY), ctx.scale.reviewBytes, ctx.scale.reviewSpans);
    seedDb.close();
    const seedSeconds = seconds(seedStart);
    ctx.log(`seeded a ${ctx.scale.reviewBytes} B file with ${ctx.scale.reviewSpans} spans in ${seedSeconds.toFixed(1)} s`);

    const server = ctx.pinning.serverCpu;
    const api = await startStack(
      {
        dataDir,
        redisUrl: ctx.tools.redisUrl,
        queuePrefix: `${ctx.queuePrefix}-review`,
        apps: ['api'],
        command: (c, a) => ctx.pinning.command(server, c, a),
        bench: ctx.options,
      },
      ctx.cleanup,
    );
    const pool = new Pool(api.base, { connections: 1 });
    const db = openDatabase({ path: join(dataDir, 'tftsr.db'), key: DB_KEY, readonly: true });
    const [values, decisions] = [new PiiFileValueRepository(db), new PiiDecisionRepository(db)];
    const lineIndex = new LogFileLineIndexRepository(db);
    const issueId = (db.prepare('SELECT issue_id FROM log_files WHERE id = ?').get(fileId) as { issue_id: string }).issue_id;
    const path = (db.prepare('SELECT file_path FROM log_files WHERE id = ?').get(fileId) as { file_path: string }).file_path;
    const n = ctx.scale.reviewRequests;
    const fromOf = (i: number) => 1 + Math.floor((((i * 7919) % 1000) / 1000) * Math.max(1, lines - WINDOW));
    const timed = async (request: (i: number) => Promise<void>): Promise<number> => {
      const samples: number[] = [];
      for (let i = 0; i < n; i += 1) {
        const t = performance.now();
        await request(i);
        samples.push(performance.now() - t);
      }
      return percentile(samples, 99);
    };
    const get = async (pathAndQuery: string) => {
      const res = await pool.request({ method: 'GET', path: pathAndQuery, headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`GET ${pathAndQuery} answered ${res.statusCode}: ${text.slice(0, 300)}`);
    };
    const decisionOf = (q: string) => (q.includes('decision=keep') ? ('keep' as const) : undefined);
    return withStack(api, ['api'], async () => {
      const out: Partial<Record<'review-values' | 'review-lines', Measured>> = {};
      const pinning = ctx.pinning.describe(
        `the API on CPU ${server}; the client and the direct calls (the bench process) on CPU ${ctx.pinning.clientCpu}`,
      );
      const details = {
        file_bytes: ctx.scale.reviewBytes,
        spans: ctx.scale.reviewSpans,
        lines,
        requests_per_run: n,
        seed_seconds: Math.round(seedSeconds * 10) / 10,
      };
      if (rows.has('review-values')) {
        const runs = await ctx.pinning.self(ctx.pinning.clientCpu, () =>
          alternate(
            1,
            ctx.options.runs,
            () => timed((i) => get(`/v1/log-files/${fileId}/pii/values?${VALUE_QUERIES[i % VALUE_QUERIES.length]}`)),
            () =>
              timed(async (i) => {
                const q = VALUE_QUERIES[i % VALUE_QUERIES.length];
                values.listValues(fileId, issueId, { type: q.includes('type=') ? 'IPv4' : undefined, decision: decisionOf(q), limit: 101 });
              }),
          ),
        );
        out['review-values'] = {
          runs,
          warmups: 1,
          pinning,
          details: { ...details, values: values.totals(fileId, issueId).reduce((s, t) => s + t.values, 0) },
        };
      }
      if (rows.has('review-lines')) {
        const runs = await ctx.pinning.self(ctx.pinning.clientCpu, () =>
          alternate(
            1,
            ctx.options.runs,
            () => timed((i) => get(`/v1/log-files/${fileId}/lines?from=${fromOf(i)}&count=${WINDOW}`)),
            () =>
              timed(async (i) => {
                const from = fromOf(i);
                const cp = lineIndex.checkpoint(fileId, from) ?? { line_number: 1, byte_start: 0 };
                const raw = await readLines(blobs, path, { line: cp.line_number, byte: cp.byte_start }, from, WINDOW);
                decisions.windowSpans(fileId, issueId, raw[0].byte_start, raw[raw.length - 1].byte_end + 1, SPAN_LOOKBACK_BYTES);
              }),
          ),
        );
        out['review-lines'] = { runs, warmups: 1, pinning, details: { ...details, window_lines: WINDOW } };
      }
      return out;
    }).finally(async () => {
      db.close();
      await pool.close();
    });
  },
};
