import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findFreePort } from '../../scripts/private-redis';
import { ADMIN_KEY, apiJson, DB_KEY, startStack, withStack } from '../support/app-stack';
import type { BenchContext, BenchGroup, Measured } from '../support/context';
import { load } from '../support/load';
import { CpuPerRequest } from '../support/process-cpu';
import { alternate } from '../support/stats';

/** The API's default, which the bare server is given too. */
const SYNCHRONOUS = 'FULL';
const BODY = JSON.stringify({
  title: 'Checkout returns 502 after the 14:05 deploy',
  description:
    'Since the deploy, about one checkout in five fails with a 502 from the gateway; the payment pods restart every few minutes.',
  severity: 'high',
  tags: ['checkout', 'gateway'],
});

/** `POST /v1/issues` and `GET /v1/issues/:id` under autocannon, against a bare Fastify server doing the minimum. */
export const httpGroup: BenchGroup = {
  name: 'Issue routes under load',
  needs: { 'issues-create': ['redis'], 'issues-get': ['redis'] },
  async run(ctx, rows) {
    const server = ctx.pinning.serverCpu;
    const api = await startStack(
      {
        dataDir: join(ctx.scratch, 'api'),
        redisUrl: ctx.tools.redisUrl,
        queuePrefix: `${ctx.queuePrefix}-http`,
        apps: ['api'],
        command: (c, a) => ctx.pinning.command(server, c, a),
        bench: ctx.options,
      },
      ctx.cleanup,
    );
    return withStack(api, ['api'], async () => {
      const issue = await apiJson<{ id: string }>(api.base, 'POST', '/v1/issues', JSON.parse(BODY));
      const getBody = await (
        await fetch(`${api.base}/v1/issues/${issue.id}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })
      ).text();
      const bareServer = await startBareServer(ctx, getBody);
      const bare = bareServer.base;
      const pinning = ctx.pinning.describe(
        `the API and the bare server on CPU ${server}, autocannon (the bench process) on CPU ${ctx.pinning.clientCpu}`,
      );
      const common = { synchronous: SYNCHRONOUS, connections: ctx.scale.connections, seconds_per_run: ctx.scale.httpSeconds };
      const out: Partial<Record<'issues-create' | 'issues-get', Measured>> = {};
      await ctx.pinning.self(ctx.pinning.clientCpu, async () => {
        if (rows.has('issues-create')) {
          const cpu = new CpuPerRequest();
          const runs = await pair(
            ctx,
            cpu,
            { method: 'POST', url: `${api.base}/v1/issues`, body: BODY, pid: api.pid('api') },
            { method: 'POST', url: `${bare}/v1/issues`, body: BODY, pid: bareServer.pid },
          );
          out['issues-create'] = { runs, warmups: 1, pinning, details: { ...common, body_bytes: BODY.length, ...cpu.details() } };
        }
        if (rows.has('issues-get')) {
          const cpu = new CpuPerRequest();
          const runs = await pair(
            ctx,
            cpu,
            { method: 'GET', url: `${api.base}/v1/issues/${issue.id}`, pid: api.pid('api') },
            { method: 'GET', url: `${bare}/v1/issues/${issue.id}`, pid: bareServer.pid },
          );
          out['issues-get'] = {
            runs,
            warmups: 1,
            pinning,
            details: { ...common, response_bytes: Buffer.byteLength(getBody), ...cpu.details() },
          };
        }
      });
      await bareServer.stop();
      return out;
    });
  },
};

interface Target {
  method: 'GET' | 'POST';
  url: string;
  body?: string;
  /** The server's process, whose CPU per request the row reports. */
  pid: number;
}

/** Our route (with the admin key) and the bare one, one warm-up each, then alternating runs. */
function pair(ctx: BenchContext, cpu: CpuPerRequest, ours: Target, bare: Target): Promise<{ ours: number; baseline: number | null }[]> {
  const run =
    (side: string, { pid, ...target }: Target, auth: boolean) =>
    async (index: number) =>
      (
        await cpu.measure(side, pid, index, () =>
          load({
            ...target,
            connections: ctx.scale.connections,
            duration: ctx.scale.httpSeconds,
            headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${ADMIN_KEY}` } : {}) },
          }),
        )
      ).rps;
  return alternate(1, ctx.options.runs, run('ours', ours, true), run('baseline', bare, false));
}

async function startBareServer(ctx: BenchContext, getBody: string): Promise<{ base: string; pid: number; stop: () => Promise<void> }> {
  const port = await findFreePort();
  const bodyFile = join(ctx.scratch, 'get-body.json');
  writeFileSync(bodyFile, getBody);
  const [cmd, args] = ctx.pinning.command(ctx.pinning.serverCpu, process.execPath, [
    join(__dirname, '..', 'servers', 'bare-issues.server.js'),
  ]);
  const env = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    BENCH_DATA_DIR: join(ctx.scratch, 'bare'),
    BENCH_DB_KEY: DB_KEY,
    BENCH_SYNCHRONOUS: SYNCHRONOUS,
    BENCH_PORT: String(port),
    BENCH_GET_BODY: bodyFile,
  };
  const child = ctx.cleanup.track(spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] }));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i += 1) {
    if (child.exitCode !== null) throw new Error(`the bare server exited: ${stderr}`);
    if ((await fetch(`${base}/health`).catch(() => null))?.ok) return { base, pid: child.pid!, stop: () => ctx.cleanup.stop(child) };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the bare server did not answer: ${stderr}`);
}
