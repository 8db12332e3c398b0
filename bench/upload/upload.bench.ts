/**
 * Upload benchmark: end-to-end throughput from the first byte sent to the last span committed, with the real
 * API and worker processes, a private Redis and an encrypted database, against baselines run in the same script:
 *   - one large file: `sha256sum` then `rg -o -b -f <patterns>` on the same bytes (goal: ours ≤ 2.0× their time);
 *   - 5,000 files of 20 KB from 16 clients: files/s against raw BullMQ no-op jobs/s (goal: ≥ 0.2×).
 *
 *   npm run build && node dist/bench/upload/upload.bench.js [--quick]
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Queue, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { Db, openDatabase } from '../../libs/db/src';
import { findFreePort, startPrivateRedis } from '../../scripts/start';
import { RG_PATTERNS } from '../pii/rg-patterns';
import { repeatedLog } from '../support/log-corpus';

const quick = process.argv.includes('--quick');
const MiB = 1024 * 1024;
const LARGE = (quick ? 32 : 256) * MiB;
const SMALL_FILES = quick ? 300 : 5000;
const SMALL_SIZE = 20 * 1024;
const CLIENTS = 16;
const RUNS = quick ? 1 : 5;
const KEY = `tftsr_bench-${'k'.repeat(32)}`;
const DB_KEY = 'benchmark passphrase';
const DIST = join(__dirname, '..', '..', 'apps');

interface Stack {
  base: string;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const spread = (xs: number[]) => `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;

function requireTools(): void {
  const missing = ['sha256sum', 'rg'].filter((t) => spawnSync(t, ['--version']).status !== 0);
  if (missing.length) {
    process.stderr.write(`missing: ${missing.join(', ')}. Install them with: apt-get install ${missing.map((m) => (m === 'rg' ? 'ripgrep' : 'coreutils')).join(' ')}\n`);
    process.exit(2);
  }
}

async function startStack(dir: string, redisUrl: string): Promise<Stack> {
  const port = await findFreePort();
  const env = { ...process.env, NODE_ENV: 'production', TFTSR_DATA_DIR: dir, TFTSR_DB_KEY: DB_KEY, REDIS_URL: redisUrl, TFTSR_QUEUE_PREFIX: `bench-${Date.now()}`, TFTSR_BOOTSTRAP_API_KEY: KEY, PORT: String(port), HOST: '127.0.0.1', TFTSR_OUTBOX_RELAY_INTERVAL_MS: '100', TFTSR_RATE_LIMIT_BURST: '1000000', TFTSR_RATE_LIMIT_PER_MINUTE: '1000000' };
  const procs = ['api', 'worker'].map((kind) => spawn(process.execPath, [join(DIST, kind, 'src', 'main.js')], { env, stdio: ['ignore', 'ignore', 'inherit'] }));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i += 1) {
    if ((await fetch(`${base}/health/ready`).catch(() => null))?.ok) break;
    await sleep(100);
  }
  return {
    base,
    async stop() {
      await Promise.all(procs.map(async (p) => (p.kill('SIGTERM'), once(p, 'exit'))));
    },
  };
}

async function api(stack: Stack, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${stack.base}${path}`, { method, headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return res.json();
}

async function upload(stack: Stack, issueId: string, name: string, body: Readable | Buffer): Promise<string> {
  const res = await fetch(`${stack.base}/v1/issues/${issueId}/log-files?file_name=${name}`, {
    method: 'POST',
    body: body instanceof Readable ? (Readable.toWeb(body) as unknown as RequestInit['body']) : body,
    duplex: 'half',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/octet-stream' },
  } as RequestInit);
  if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

async function uploadAndWait(stack: Stack, issueId: string, name: string, body: Readable | Buffer): Promise<void> {
  const id = await upload(stack, issueId, name, body);
  for (;;) {
    const file = await api(stack, 'GET', `/v1/log-files/${id}`);
    if (file.status === 'ready') return;
    if (file.status === 'failed') throw new Error(`processing failed: ${file.failure_reason}`);
    await sleep(50);
  }
}

function readyFiles(db: Db): number {
  return (db.prepare(`SELECT count(*) AS n FROM log_file_processing WHERE hash_state = 'done' AND scan_state = 'done'`).get() as { n: number }).n;
}

function timeCommand(cmd: string, args: string[]): number {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  if (r.status !== 0 && r.status !== 1) throw new Error(`${cmd} failed`);
  return Number(process.hrtime.bigint() - t) / 1e9;
}

async function noopJobsPerSecond(redisUrl: string, count: number): Promise<number> {
  const connection = new IORedis(redisUrl, { maxRetriesPerRequest: null });
  const prefix = `bench-noop-${Date.now()}`;
  const queue = new Queue('noop', { connection, prefix });
  const workerConnection = new IORedis(redisUrl, { maxRetriesPerRequest: null });
  let done = 0;
  const t = process.hrtime.bigint();
  const finished = new Promise<void>((resolve) => {
    const worker = new Worker('noop', async () => undefined, { connection: workerConnection, prefix, concurrency: 2 });
    worker.on('completed', () => {
      done += 1;
      if (done === count) void worker.close().then(resolve);
    });
  });
  for (let i = 0; i < count; i += CLIENTS) await Promise.all(Array.from({ length: Math.min(CLIENTS, count - i) }, (_, j) => queue.add('noop', { i: i + j }, { jobId: `n${i + j}`, removeOnComplete: true })));
  await finished;
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
  workerConnection.disconnect();
  return count / seconds;
}

async function main(): Promise<void> {
  requireTools();
  const scratch = mkdtempSync(join(tmpdir(), 'tftsr-bench-upload-'));
  const redis = await startPrivateRedis({ dataDir: scratch });
  try {
    const plain = join(scratch, 'large.log');
    await pipeline(repeatedLog(LARGE, 'sparse'), createWriteStream(plain));
    const patterns = join(scratch, 'patterns.txt');
    writeFileSync(patterns, `${RG_PATTERNS.join('\n')}\n`);

    const ours: number[] = [];
    const baseline: number[] = [];
    const stack = await startStack(join(scratch, 'data'), redis.url);
    const issue = await api(stack, 'POST', '/v1/issues', { title: 'benchmark', severity: 'low' });
    await api(stack, 'PUT', '/v1/settings/uploads.max_files_per_issue', { value: 10000 });
    await uploadAndWait(stack, issue.id, 'warmup.log', repeatedLog(4 * MiB, 'sparse'));
    for (let run = 0; run < RUNS; run += 1) {
      const t = process.hrtime.bigint();
      await uploadAndWait(stack, issue.id, `large-${run}.log`, repeatedLog(LARGE, 'sparse'));
      ours.push(Number(process.hrtime.bigint() - t) / 1e9);
      baseline.push(timeCommand('sha256sum', [plain]) + timeCommand('rg', ['-o', '-b', '-f', patterns, plain]));
    }

    const small = repeatedLog(SMALL_SIZE, 'sparse').read() as Buffer;
    const smallIssues = await Promise.all(Array.from({ length: Math.ceil(SMALL_FILES / 5000) }, () => api(stack, 'POST', '/v1/issues', { title: 'small files', severity: 'low' })));
    // The clients only upload; one reader watches the database, so per-file polling does not load the API.
    const db = openDatabase({ path: join(scratch, 'data', 'tftsr.db'), key: DB_KEY, readonly: true });
    const readyBefore = readyFiles(db);
    const t = process.hrtime.bigint();
    let next = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < SMALL_FILES) {
          const i = next++;
          await upload(stack, smallIssues[Math.floor(i / 5000)].id, `small-${i}.log`, small);
        }
      }),
    );
    while (readyFiles(db) - readyBefore < SMALL_FILES) await sleep(20);
    const filesPerSecond = SMALL_FILES / (Number(process.hrtime.bigint() - t) / 1e9);
    db.close();
    await stack.stop();
    const jobsPerSecond = await noopJobsPerSecond(redis.url, quick ? 1000 : 10000);

    const largeRatio = median(ours) / median(baseline);
    const smallRatio = filesPerSecond / jobsPerSecond;
    const results = {
      large_file: { bytes: LARGE, runs: RUNS, ours_seconds: ours, baseline_seconds: baseline, ours_mb_s: LARGE / MiB / median(ours), ratio: largeRatio, goal: '<= 2.0', met: largeRatio <= 2.0 },
      small_files: { files: SMALL_FILES, bytes_each: SMALL_SIZE, clients: CLIENTS, files_per_second: filesPerSecond, noop_jobs_per_second: jobsPerSecond, ratio: smallRatio, goal: '>= 0.2', met: smallRatio >= 0.2 },
    };
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(
      [
        '',
        '| What | Ours | Baseline | Ratio | Goal |',
        '|---|---|---|---|---|',
        `| Upload to spans committed, one ${LARGE / MiB} MB file | ${median(ours).toFixed(2)} s (${spread(ours)}), ${(LARGE / MiB / median(ours)).toFixed(0)} MB/s | sha256sum + rg: ${median(baseline).toFixed(2)} s (${spread(baseline)}) | ${largeRatio.toFixed(2)}× their time | ≤ 2.0× ${largeRatio <= 2 ? 'met' : 'missed'} |`,
        `| Upload to spans committed, ${SMALL_FILES} files of 20 KB, ${CLIENTS} clients | ${filesPerSecond.toFixed(0)} files/s | BullMQ no-op: ${jobsPerSecond.toFixed(0)} jobs/s | ${smallRatio.toFixed(2)}× | ≥ 0.2× ${smallRatio >= 0.2 ? 'met' : 'missed'} |`,
        '',
      ].join('\n'),
    );
    writeFileSync(join(__dirname, '..', '..', '..', 'bench', `upload-results${quick ? '.quick' : ''}.json`), `${JSON.stringify(results, null, 2)}\n`);
  } finally {
    await redis.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
