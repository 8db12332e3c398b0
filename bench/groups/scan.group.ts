// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- s3rver has no types; the tests declare them, outside the build's include
/// <reference path="../../test/support/s3rver.d.ts" />
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import S3rver from 's3rver';
import { createRedisConnection, SCAN_JOB_POLICY, SCAN_QUEUE, scanJobId } from '@tftsr/jobs';
import { S3BlobStore } from '@tftsr/storage';
import type { S3StoreSettings } from '@tftsr/storage';
import { resultPath, writeOrder } from '@tftsr/worker/scanner/scan-work';
import type { BenchContext, BenchGroup } from '../support/context';
import { corpusFile } from '../pii/bench-corpus';
import { repeatedLog } from '../support/log-corpus';
import { processCpuSeconds } from '../support/process-cpu';
import { alternate, median, seconds } from '../support/stats';

const MB = 1e6;
const WORKER_MAIN = join(__dirname, '..', '..', 'apps', 'worker', 'src', 'main.js');
const TFTSR_BIN = join(__dirname, '..', '..', '..', 'bin', 'tftsr.js');

/**
 * Issue 19's scaling row: the same files scanned by two scanner processes against one, in the same run. Scan-bound:
 * the blobs and their orders are in the bucket (s3rver) before the clock starts, the jobs are added at once, and the
 * clock stops when the last result is stored; no API, no writer, no database. Each scanner runs one job at a time
 * (its pass on a thread), so one scanner is one core's worth of scanning.
 */
export const scanGroup: BenchGroup = {
  name: 'Scanner hosts',
  needs: { 'scan-scale': ['redis'] },
  async run(ctx) {
    const directory = join(ctx.scratch, 's3');
    mkdirSync(directory, { recursive: true });
    const bucket = 'tftsr-bench';
    const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true, configureBuckets: [{ name: bucket }] });
    const { port } = await server.run();
    const settings: S3StoreSettings = {
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      bucket,
      prefix: 'bench/',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      partSize: 8 * 1024 * 1024,
    };
    const key = randomBytes(32);
    const store = new S3BlobStore(settings, key);
    try {
      const files = ctx.scale.scanFiles;
      const bytes = ctx.scale.scanFileBytes;
      const work: { workId: string; logFileId: string }[] = [];
      for (let i = 0; i < files; i += 1) {
        const blob = await store.write(repeatedLog(bytes, 'sparse'));
        const workId = `bench-${i}`;
        await writeOrder(store, workId, {
          v: 1,
          log_file_id: `file-${i}`,
          blob_path: blob.path,
          expected_size: blob.size,
          mode: 'scan',
          config: {},
        });
        work.push({ workId, logFileId: `file-${i}` });
      }
      ctx.log(`${files} files of ${(bytes / MB).toFixed(0)} MB in the bucket`);
      // Each side's scanners stay up for the whole row, as on scanner hosts: the warm-up round warms their engines.
      const two = await ScannerSide.start(ctx, settings, key, `${ctx.queuePrefix}-scan-two`, 2);
      const one = await ScannerSide.start(ctx, settings, key, `${ctx.queuePrefix}-scan-one`, 1);
      let runs;
      try {
        const total = files * bytes;
        runs = await alternate(
          1,
          ctx.options.runs,
          (run) => two.round(store, work, total, run >= 0),
          (run) => one.round(store, work, total, run >= 0),
        );
      } finally {
        await Promise.all([two.stop(), one.stop()]);
      }
      const machine = await machineScaling(ctx);
      return {
        'scan-scale': {
          runs,
          warmups: 1,
          pinning: 'not pinned: the scanners, s3rver, Redis and the bench process share both cores, as scanner hosts would share nothing',
          details: {
            files,
            file_bytes: bytes,
            corpus: 'sparse',
            scanner_concurrency: 1,
            ...two.cpuDetails('two'),
            ...one.cpuDetails('one'),
            ...machine,
          },
        },
      };
    } finally {
      store.destroy();
      await server.close();
    }
  },
};

/** Scanner processes on their own queue prefix, and the queue the bench adds their jobs to. */
class ScannerSide {
  private constructor(
    private readonly ctx: BenchContext,
    private readonly children: ChildProcess[],
    private readonly connection: ReturnType<typeof createRedisConnection>,
    private readonly queue: Queue,
  ) {}

  static async start(ctx: BenchContext, settings: S3StoreSettings, key: Buffer, prefix: string, scanners: number): Promise<ScannerSide> {
    const connection = createRedisConnection({ kind: 'standalone', url: ctx.tools.redisUrl }, 'worker');
    const queue = new Queue(SCAN_QUEUE, { connection, prefix });
    const children: ChildProcess[] = [];
    for (let i = 0; i < scanners; i += 1) children.push(await startScanner(ctx, settings, key, prefix));
    return new ScannerSide(ctx, children, connection, queue);
  }

  /** One timed round: every job added at once (the scanners idle), until every result is stored; MB/s. */
  async round(store: S3BlobStore, work: { workId: string; logFileId: string }[], totalBytes: number, counted: boolean): Promise<number> {
    await Promise.all(work.map((w) => store.remove(resultPath(w.workId))));
    await this.queue.clean(0, 0, 'completed');
    const cpuBefore = await this.cpuNow();
    const started = process.hrtime.bigint();
    for (const w of work) {
      await this.queue.add(
        'scan_blob',
        { work_id: w.workId, log_file_id: w.logFileId },
        { ...SCAN_JOB_POLICY, jobId: scanJobId(w.workId) },
      );
    }
    for (;;) {
      const counts = await this.queue.getJobCounts('completed', 'failed');
      if (counts.failed > 0) throw new Error(`${counts.failed} scan job(s) failed`);
      if (counts.completed === work.length) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const elapsed = seconds(started);
    if (counted) {
      const cpuAfter = await this.cpuNow();
      this.cpu.scanners += cpuAfter.scanners - cpuBefore.scanners;
      this.cpu.bench += cpuAfter.bench - cpuBefore.bench;
      this.cpu.redis += cpuAfter.redis - cpuBefore.redis;
      this.cpu.mb += totalBytes / MB;
      this.cpu.seconds += elapsed;
    }
    return totalBytes / MB / elapsed;
  }

  /**
   * CPU seconds per GB scanned over the counted rounds, by process: the scanners, the bench process (s3rver serving
   * every GET and PUT, and the polling), and Redis (INFO cpu; every client of this Redis counts). With `cores`, what
   * they cost together bounds the rate on this machine: cores / (CPU seconds per MB).
   */
  cpuDetails(side: string): Record<string, number> {
    const perGb = (cpu: number) => Number(((cpu / this.cpu.mb) * 1000).toFixed(2));
    const total = this.cpu.scanners + this.cpu.bench + this.cpu.redis;
    return {
      [`cpu_s_per_gb_${side}_scanners`]: perGb(this.cpu.scanners),
      [`cpu_s_per_gb_${side}_s3rver_and_bench`]: perGb(this.cpu.bench),
      [`cpu_s_per_gb_${side}_redis`]: perGb(this.cpu.redis),
      [`cores_busy_${side}`]: Number((total / this.cpu.seconds).toFixed(2)),
    };
  }

  private readonly cpu = { scanners: 0, bench: 0, redis: 0, mb: 0, seconds: 0 };

  private async cpuNow(): Promise<{ scanners: number; bench: number; redis: number }> {
    const usage = process.cpuUsage();
    const info = await this.connection.info('cpu');
    const field = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? 0);
    return {
      scanners: this.children.reduce((sum, child) => sum + (child.pid === undefined ? 0 : processCpuSeconds(child.pid)), 0),
      bench: (usage.user + usage.system) / 1e6,
      redis: field('used_cpu_user') + field('used_cpu_sys'),
    };
  }

  async stop(): Promise<void> {
    await Promise.all(this.children.map((child) => this.ctx.cleanup.stop(child)));
    await this.queue.obliterate({ force: true }).catch(() => undefined);
    await this.queue.close();
    this.connection.disconnect();
  }
}

async function startScanner(ctx: BenchContext, settings: S3StoreSettings, key: Buffer, prefix: string): Promise<ChildProcess> {
  const env = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    TFTSR_WORKER_ROLE: 'scanner',
    TFTSR_BLOB_KEY: key.toString('hex'),
    TFTSR_DATA_DIR: ctx.scratch,
    TFTSR_BLOB_STORE: 's3',
    TFTSR_S3_ENDPOINT: settings.endpoint ?? '',
    TFTSR_S3_BUCKET: settings.bucket,
    TFTSR_S3_PREFIX: settings.prefix,
    TFTSR_S3_FORCE_PATH_STYLE: '1',
    TFTSR_S3_ACCESS_KEY_ID: 'S3RVER',
    TFTSR_S3_SECRET_ACCESS_KEY: 'S3RVER',
    REDIS_URL: ctx.tools.redisUrl,
    TFTSR_QUEUE_PREFIX: prefix,
    TFTSR_WORKER_CONCURRENCY: '1',
    TFTSR_WORKER_METRICS_PORT: '0',
    TFTSR_LOG_LEVEL: 'info',
  };
  const child = ctx.cleanup.track(spawn(process.execPath, [WORKER_MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] }));
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  for (let i = 0; i < 600; i += 1) {
    if (child.exitCode !== null) throw new Error(`a scanner exited: ${output.slice(-2000)}`);
    if (/processing queues: scan/.test(output)) return child;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`a scanner did not start: ${output.slice(-2000)}`);
}

/**
 * What this machine gives CPU-bound work on two processes against one, with no I/O and nothing shared: the same
 * file (in the page cache) scanned by `tftsr pii scan` once, then by two processes at once; 2 × t1 / t2, the median
 * of three tries. It bounds the row: two scanners cannot scale better than two plain scans, before s3rver, Redis
 * and the bench take their share of the same two cores.
 */
async function machineScaling(ctx: BenchContext): Promise<Record<string, number>> {
  const corpus = await corpusFile(ctx.scratch, ctx.scale.scanFileBytes, ctx.options.loghubDir);
  const scans = async (n: number): Promise<number> => {
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: n }, async () => {
        const child = spawn(process.execPath, [TFTSR_BIN, 'pii', 'scan', corpus.path, '--json'], { stdio: ['ignore', 'ignore', 'ignore'] });
        const [code] = (await once(child, 'exit')) as [number | null];
        if (code !== 0) throw new Error(`tftsr pii scan exited with ${code}`);
      }),
    );
    return seconds(started);
  };
  await scans(1);
  const ratios: number[] = [];
  for (let i = 0; i < 3; i += 1) ratios.push((2 * (await scans(1))) / (await scans(2)));
  return { machine_cpu_scaling_two_processes: Number(median(ratios).toFixed(2)) };
}
