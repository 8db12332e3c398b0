import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { findFreePort } from '../../scripts/private-redis';
import { ADMIN_KEY, apiJson, startStack, withStack } from '../support/app-stack';
import type { BenchContext, BenchGroup } from '../support/context';
import { load } from '../support/load';
import { CpuPerRequest } from '../support/process-cpu';
import { alternate } from '../support/stats';

const CONNECTIONS = 64;
const LINES = 100;
const BODY = `${Array.from({ length: LINES }, (_, i) => JSON.stringify({ ts: '2026-12-06T23:00:00.000Z', level: 'info', host: 'web-3', msg: `GET /api/orders/${1000 + i} 200 12ms`, trace: 'a1b2c3d4e5f6' })).join('\n')}\n`;

/** NDJSON from 64 concurrent senders into one stream, against a bare server appending the same bodies to a file. */
export const ingestGroup: BenchGroup = {
  name: 'Shipped lines (NDJSON) under load',
  needs: { 'ingest-ndjson': ['redis'] },
  async run(ctx) {
    const server = ctx.pinning.serverCpu;
    const api = await startStack(
      {
        dataDir: join(ctx.scratch, 'api'),
        redisUrl: ctx.tools.redisUrl,
        queuePrefix: `${ctx.queuePrefix}-ingest`,
        apps: ['api'],
        command: (c, a) => ctx.pinning.command(server, c, a),
        bench: ctx.options,
      },
      ctx.cleanup,
    );
    return withStack(api, ['api'], async () => {
      const issue = await apiJson<{ id: string }>(api.base, 'POST', '/v1/issues', { title: 'Shipped logs', severity: 'high' });
      // No worker runs: nothing is scanned, so the backlog bound must not refuse the run.
      await apiJson(api.base, 'PUT', '/v1/settings/ingest.max_backlog_bytes', { value: 64 * 1024 ** 3 });
      // Every closed or open chunk counts as a file of the issue: a long run must not reach the limit and measure 409s.
      await apiJson(api.base, 'PUT', '/v1/settings/uploads.max_files_per_issue', { value: 10000 });
      const bare = await startBareServer(ctx);
      const pinning = ctx.pinning.describe(
        `the API and the bare server on CPU ${server}, autocannon (the bench process) on CPU ${ctx.pinning.clientCpu}`,
      );
      const cpu = new CpuPerRequest();
      const run = (side: string, pid: number, url: string) => async (index: number) =>
        (
          await cpu.measure(side, pid, index, () =>
            load({
              method: 'POST',
              url,
              body: BODY,
              connections: CONNECTIONS,
              duration: ctx.scale.httpSeconds,
              headers: { 'content-type': 'application/x-ndjson', authorization: `Bearer ${ADMIN_KEY}` },
            }),
          )
        ).rps;
      const runs = await ctx.pinning.self(ctx.pinning.clientCpu, () =>
        alternate(
          1,
          ctx.options.runs,
          run('ours', api.pid('api'), `${api.base}/v1/issues/${issue.id}/log-streams/bench`),
          run('baseline', bare.pid, `${bare.base}/lines`),
        ),
      );
      await bare.stop();
      return {
        'ingest-ndjson': {
          runs,
          warmups: 1,
          pinning,
          details: {
            connections: CONNECTIONS,
            lines_per_request: LINES,
            body_bytes: Buffer.byteLength(BODY),
            seconds_per_run: ctx.scale.httpSeconds,
            ...cpu.details(),
          },
        },
      };
    });
  },
};

async function startBareServer(ctx: BenchContext): Promise<{ base: string; pid: number; stop: () => Promise<void> }> {
  const port = await findFreePort();
  const [cmd, args] = ctx.pinning.command(ctx.pinning.serverCpu, process.execPath, [
    join(__dirname, '..', 'servers', 'bare-append.server.js'),
  ]);
  const env = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    BENCH_DATA_DIR: join(ctx.scratch, 'bare-append'),
    BENCH_PORT: String(port),
  };
  const child = ctx.cleanup.track(spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] }));
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i += 1) {
    if (child.exitCode !== null) throw new Error(`the bare append server exited: ${stderr}`);
    if ((await fetch(`${base}/health`).catch(() => null))?.ok) return { base, pid: child.pid!, stop: () => ctx.cleanup.stop(child) };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the bare append server did not answer: ${stderr}`);
}
