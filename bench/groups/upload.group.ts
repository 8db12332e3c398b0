import { spawnSync } from 'node:child_process';
import { createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Queue, Worker } from 'bullmq';
import IORedis from 'ioredis';
import type { Db } from '@tftsr/db';
import { openDatabase } from '@tftsr/db';
import { RG_PATTERNS } from '../pii/rg-patterns';
import type { AppStack } from '../support/app-stack';
import { apiJson, DB_KEY, startStack, uploadLog, waitReady, withStack } from '../support/app-stack';
import type { BenchContext, BenchGroup, Measured } from '../support/context';
import { repeatedLog } from '../support/log-corpus';
import { alternate, median, seconds } from '../support/stats';

const MiB = 1024 * 1024;
const WARMUP_BYTES = 4 * MiB;
const FILE_TIMEOUT_MS = 20 * 60_000;

/**
 * Upload to spans committed through the real API and worker: one large file against sha256sum + rg on the same
 * bytes, and many small files from concurrent clients against raw BullMQ no-op jobs through the same Redis.
 */
export const uploadGroup: BenchGroup = {
  name: 'Upload to spans committed',
  needs: { 'upload-large': ['redis', 'sha256sum', 'rg'], 'upload-small': ['redis'] },
  async run(ctx, rows) {
    const dataDir = join(ctx.scratch, 'data');
    const stack = await startStack(
      {
        dataDir,
        redisUrl: ctx.tools.redisUrl,
        queuePrefix: `${ctx.queuePrefix}-upload`,
        apps: ['api', 'worker'],
        command: (c, a) => [c, a],
        bench: ctx.options,
      },
      ctx.cleanup,
    );
    return withStack(stack, ['api', 'worker'], async () => {
      await apiJson(stack.base, 'PUT', '/v1/settings/uploads.max_files_per_issue', { value: 10000 });
      const out: Partial<Record<'upload-large' | 'upload-small', Measured>> = {};
      if (rows.has('upload-large')) out['upload-large'] = await largeFile(ctx, stack);
      if (rows.has('upload-small')) out['upload-small'] = await smallFiles(ctx, stack, dataDir);
      return out;
    });
  },
};

async function largeFile(ctx: BenchContext, stack: AppStack): Promise<Measured> {
  const bytes = ctx.scale.largeBytes;
  const plain = join(ctx.scratch, 'large.log');
  await pipeline(repeatedLog(bytes, 'sparse'), createWriteStream(plain));
  const patterns = join(ctx.scratch, 'patterns.txt');
  writeFileSync(patterns, `${RG_PATTERNS.join('\n')}\n`);
  const issue = await apiJson<{ id: string }>(stack.base, 'POST', '/v1/issues', { title: 'benchmark: large file', severity: 'low' });
  const accepted: number[] = [];
  const runs = await alternate(
    1,
    ctx.options.runs,
    async (run) => {
      // The warm-up is small: it only has to get both processes' code paths compiled.
      const size = run < 0 ? WARMUP_BYTES : bytes;
      const t = process.hrtime.bigint();
      const id = await uploadLog(stack.base, issue.id, `large-${run}.log`, repeatedLog(size, 'sparse'));
      if (run >= 0) accepted.push(seconds(t));
      await waitReady(stack.base, id, FILE_TIMEOUT_MS);
      return seconds(t);
    },
    async () => timeCommand('sha256sum', [plain]) + timeCommand('rg', ['-o', '-b', '-f', patterns, plain]),
  );
  return {
    runs,
    warmups: 1,
    pinning: 'not pinned: the API, the worker, its scan thread and Redis share both cores',
    details: {
      file_bytes: bytes,
      warmup_upload_bytes: WARMUP_BYTES,
      content: 'sparse generated logs, one PII-bearing line in 20',
      // Where the time goes: the upload's 202 (blob written and fsync'd), then hash + scan in the worker.
      median_seconds_to_202: Math.round(median(accepted) * 100) / 100,
    },
  };
}

async function smallFiles(ctx: BenchContext, stack: AppStack, dataDir: string): Promise<Measured> {
  const { smallFiles: files, smallFileBytes, clients, noopJobs } = ctx.scale;
  const body = repeatedLog(smallFileBytes, 'sparse').read() as Buffer;
  // The clients only upload; one read-only connection watches the database, so polling does not load the API.
  const db = openDatabase({ path: join(dataDir, 'tftsr.db'), key: DB_KEY, readonly: true });
  try {
    const warmFiles = Math.max(20, Math.round(files / 50));
    // The API's part alone: files per second from the first upload to the last 202 (the rest is the worker's).
    const accepted: number[] = [];
    const runs = await alternate(
      1,
      ctx.options.runs,
      async (run) => {
        const count = run < 0 ? warmFiles : files;
        const issue = await apiJson<{ id: string }>(stack.base, 'POST', '/v1/issues', {
          title: `benchmark: small files ${run}`,
          severity: 'low',
        });
        const t = process.hrtime.bigint();
        let next = 0;
        await Promise.all(
          Array.from({ length: clients }, async () => {
            while (next < count) {
              const i = next++;
              await uploadLog(stack.base, issue.id, `small-${i}.log`, body);
            }
          }),
        );
        if (run >= 0) accepted.push(count / seconds(t));
        await waitAllReady(db, issue.id, count);
        return count / seconds(t);
      },
      async (run) =>
        noopJobsPerSecond(
          ctx,
          `${ctx.queuePrefix}-noop-${run < 0 ? 'warm' : run}`,
          run < 0 ? Math.max(500, Math.round(noopJobs / 20)) : noopJobs,
        ),
    );
    return {
      runs,
      warmups: 1,
      pinning: 'not pinned: the clients, the API, the worker and Redis share both cores',
      details: {
        files,
        file_bytes: smallFileBytes,
        clients,
        noop_jobs: noopJobs,
        noop_worker_concurrency: 2,
        warmup_files: warmFiles,
        median_files_per_s_accepted: Math.round(median(accepted)),
      },
    };
  } finally {
    db.close();
  }
}

async function waitAllReady(db: Db, issueId: string, count: number): Promise<void> {
  const stmt = db.prepare(
    `SELECT sum(p.hash_state = 'done' AND p.scan_state = 'done') AS ready, sum(p.hash_state = 'failed' OR p.scan_state = 'failed') AS failed
       FROM log_file_processing p JOIN log_files f ON f.id = p.log_file_id WHERE f.issue_id = ?`,
  );
  const deadline = Date.now() + FILE_TIMEOUT_MS;
  for (;;) {
    const { ready, failed } = stmt.get(issueId) as { ready: number | null; failed: number | null };
    if ((failed ?? 0) > 0) throw new Error(`${failed} small files failed processing`);
    if ((ready ?? 0) >= count) return;
    if (Date.now() > deadline) throw new Error(`only ${ready} of ${count} small files ready after ${FILE_TIMEOUT_MS / 1000} s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function timeCommand(cmd: string, args: string[]): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const s = seconds(t);
  if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd} failed: ${r.stderr?.toString() ?? r.error?.message}`);
  return s;
}

/** `count` no-op jobs added by as many concurrent producers as upload clients, run by one Worker: BullMQ's floor here. */
async function noopJobsPerSecond(ctx: BenchContext, prefix: string, count: number): Promise<number> {
  const producers = ctx.scale.clients;
  const connection = new IORedis(ctx.tools.redisUrl, { maxRetriesPerRequest: null });
  const workerConnection = new IORedis(ctx.tools.redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('noop', { connection, prefix });
  let worker: Worker | undefined;
  // On Ctrl-C the worker must stop before the run's Redis keys are deleted, or it recreates some of them.
  const undo = ctx.cleanup.defer(async () => {
    await worker?.close(true);
    connection.disconnect();
    workerConnection.disconnect();
  });
  try {
    let done = 0;
    const t = process.hrtime.bigint();
    const finished = new Promise<void>((resolve) => {
      worker = new Worker('noop', async () => undefined, { connection: workerConnection, prefix, concurrency: 2 });
      worker.on('completed', () => {
        done += 1;
        if (done === count) resolve();
      });
    });
    let next = 0;
    await Promise.all(
      Array.from({ length: producers }, async () => {
        while (next < count) {
          const i = next++;
          await queue.add('noop', { i }, { jobId: `n${i}`, removeOnComplete: true });
        }
      }),
    );
    await finished;
    const s = seconds(t);
    return count / s;
  } finally {
    undo();
    await worker?.close();
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
    workerConnection.disconnect();
  }
}
