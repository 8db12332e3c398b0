import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { toFtsQuery } from '@tftsr/api/issues/fts-query';
import type { IssueListFilter, Severity, IssueStatus } from '@tftsr/db';
import { IssueRepository, loadMigrations, migrate, openDatabase } from '@tftsr/db';
import { ADMIN_KEY, DB_KEY, startStack, withStack } from '../support/app-stack';
import type { BenchGroup } from '../support/context';
import { seedIssues } from '../support/issue-corpus';
import { alternate, percentile, seconds } from '../support/stats';

/** GET /v1/issues's default page size. */
const PAGE = 50;

interface SearchCase {
  q: string;
  severity?: Severity;
  status?: IssueStatus;
  tag?: string;
}

/** A common word, a domain term, two terms, a prefix, a one-row term and a term with filters. */
const CASES: SearchCase[] = [
  { q: 'w0' },
  { q: 'timeout' },
  { q: 'database timeout' },
  { q: 'replic*' },
  { q: '#77' },
  { q: 'deadlock', severity: 'critical', status: 'open', tag: 'team-4' },
];

function queryString(c: SearchCase): string {
  const params = new URLSearchParams({ q: c.q });
  if (c.severity) params.set('severity', c.severity);
  if (c.status) params.set('status', c.status);
  if (c.tag) params.set('tag', c.tag);
  return params.toString();
}

/** What IssuesService.list hands the repository for the same request (it asks one row more, for the cursor). */
function repositoryQuery(c: SearchCase): IssueListFilter & { sort: 'relevance'; order: 'desc'; limit: number } {
  return {
    match: toFtsQuery(c.q),
    severity: c.severity,
    status: c.status,
    tags: c.tag ? [c.tag] : undefined,
    sort: 'relevance',
    order: 'desc',
    limit: PAGE + 1,
  };
}

/** p99 of `GET /v1/issues?q=` against the same repository call made directly on the same encrypted file. */
export const searchGroup: BenchGroup = {
  name: 'Full-text search',
  needs: { 'issues-search': ['redis'] },
  async run(ctx) {
    const dataDir = join(ctx.scratch, 'data');
    mkdirSync(dataDir, { recursive: true });
    const seedStart = process.hrtime.bigint();
    const seedDb = openDatabase({ path: join(dataDir, 'tftsr.db'), key: DB_KEY });
    migrate(seedDb, loadMigrations());
    seedIssues(seedDb, ctx.scale.searchIssues);
    seedDb.close();
    const seedSeconds = seconds(seedStart);
    ctx.log(`seeded ${ctx.scale.searchIssues} issues in ${seedSeconds.toFixed(1)} s`);

    const server = ctx.pinning.serverCpu;
    const api = await startStack(
      {
        dataDir,
        redisUrl: ctx.tools.redisUrl,
        queuePrefix: `${ctx.queuePrefix}-search`,
        apps: ['api'],
        command: (c, a) => ctx.pinning.command(server, c, a),
        bench: ctx.options,
      },
      ctx.cleanup,
    );
    const pool = new Pool(api.base, { connections: 1 });
    const db = openDatabase({ path: join(dataDir, 'tftsr.db'), key: DB_KEY, readonly: true });
    return withStack(api, ['api'], async () => {
      const repo = new IssueRepository(db);
      const n = ctx.scale.searchRequests;
      const viaApi = async (): Promise<number> => {
        const samples: number[] = [];
        for (let i = 0; i < n; i += 1) {
          const t = performance.now();
          const res = await pool.request({
            method: 'GET',
            path: `/v1/issues?${queryString(CASES[i % CASES.length])}`,
            headers: { authorization: `Bearer ${ADMIN_KEY}` },
          });
          const text = await res.body.text();
          if (res.statusCode !== 200) throw new Error(`GET /v1/issues answered ${res.statusCode}: ${text.slice(0, 300)}`);
          samples.push(performance.now() - t);
        }
        return percentile(samples, 99);
      };
      const direct = async (): Promise<number> => {
        const samples: number[] = [];
        for (let i = 0; i < n; i += 1) {
          const t = performance.now();
          repo.list(repositoryQuery(CASES[i % CASES.length]));
          samples.push(performance.now() - t);
        }
        return percentile(samples, 99);
      };
      const runs = await ctx.pinning.self(ctx.pinning.clientCpu, () => alternate(1, ctx.options.runs, viaApi, direct));
      const hits = CASES.map((c) => `${c.q}: ${repo.count(repositoryQuery(c))}`).join(', ');
      return {
        'issues-search': {
          runs,
          warmups: 1,
          pinning: ctx.pinning.describe(
            `the API on CPU ${server}; the client and the direct query (the bench process) on CPU ${ctx.pinning.clientCpu}`,
          ),
          details: {
            issues: ctx.scale.searchIssues,
            requests_per_run: n,
            page_size: PAGE,
            seed_seconds: Math.round(seedSeconds * 10) / 10,
            matches: hits,
          },
        },
      };
    }).finally(async () => {
      db.close();
      await pool.close();
    });
  },
};
