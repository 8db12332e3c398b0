import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { apiJson, peakRssMib, startStack, uploadLog, waitReady, withStack } from '../support/app-stack';
import type { BenchGroup } from '../support/context';
import { repeatedLog } from '../support/log-corpus';
import type { RunPair } from '../support/results';
import { seconds } from '../support/stats';

const GiB = 1024 ** 3;
const FILE_TIMEOUT_MS = 30 * 60_000;

/**
 * Peak RSS of the API and of the worker, each spawned fresh from dist for every run, while one big file is
 * uploaded and scanned. No warm-up: the peak since the process started is the figure.
 */
export const rssGroup: BenchGroup = {
  name: 'Peak RSS on a big file',
  needs: { 'rss-api': ['redis'], 'rss-worker': ['redis'] },
  async run(ctx) {
    const bytes = ctx.scale.rssBytes;
    const api: RunPair[] = [];
    const worker: RunPair[] = [];
    const mbps: number[] = [];
    for (let run = 0; run < ctx.options.runs; run += 1) {
      const dataDir = join(ctx.scratch, `run-${run}`);
      const stack = await startStack(
        {
          dataDir,
          redisUrl: ctx.tools.redisUrl,
          queuePrefix: `${ctx.queuePrefix}-rss-${run}`,
          apps: ['api', 'worker'],
          command: (c, a) => [c, a],
          bench: ctx.options,
        },
        ctx.cleanup,
      );
      await withStack(stack, ['api', 'worker'], async () => {
        await apiJson(stack.base, 'PUT', '/v1/settings/uploads.max_file_bytes', { value: Math.max(GiB, bytes + GiB) });
        const issue = await apiJson<{ id: string }>(stack.base, 'POST', '/v1/issues', { title: 'benchmark: big file', severity: 'low' });
        const t = process.hrtime.bigint();
        const id = await uploadLog(stack.base, issue.id, 'big.log', repeatedLog(bytes, 'sparse'));
        await waitReady(stack.base, id, FILE_TIMEOUT_MS);
        mbps.push(bytes / 1e6 / seconds(t));
        api.push({ ours: peakRssMib(stack.pid('api')), baseline: null });
        worker.push({ ours: peakRssMib(stack.pid('worker')), baseline: null });
        ctx.log(`run ${run + 1}: api ${api[run].ours.toFixed(0)} MiB, worker ${worker[run].ours.toFixed(0)} MiB`);
      }).finally(() => {
        // Each run stores the whole file again: drop it now rather than hold runs × size on disk.
        rmSync(dataDir, { recursive: true, force: true });
      });
    }
    const details = {
      file_bytes: bytes,
      content: 'sparse generated logs',
      mb_per_s_upload_to_ready: mbps.map((m) => m.toFixed(0)).join(', '),
    };
    const pinning = 'not pinned: the API, the worker and Redis share both cores';
    return { 'rss-api': { runs: api, warmups: 0, pinning, details }, 'rss-worker': { runs: worker, warmups: 0, pinning, details } };
  },
};
