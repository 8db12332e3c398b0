import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Queue, Worker } from 'bullmq';
import type { NewPiiSpan } from '@tftsr/db';
import { loadConfig } from '@tftsr/config';
import { createRedisConnection, SCAN_JOB_POLICY, SCAN_QUEUE, scanJobId } from '@tftsr/jobs';
import type { ScanJobPayloads } from '@tftsr/jobs';
import { S3BlobStore } from '@tftsr/storage';
import { WorkerConfig } from '@tftsr/worker/config/worker.config';
import { RemoteScanner } from '@tftsr/worker/scanner/remote-scanner';
import { ScanProcessor } from '@tftsr/worker/scanner/scan.processor';
import { readResult, resultPath, writeOrder } from '@tftsr/worker/scanner/scan-work';
import type { TestS3 } from '../support/s3-server';
import { startTestS3 } from '../support/s3-server';
import { uniqueQueuePrefix } from '../support/temp-dir';

/**
 * Both sides of a remote scan (issue 19), each run twice. Real: Redis (a unique prefix), BullMQ, s3rver, the blob
 * format, the PII engine. Not here: the database (the writer's commit is test/system/scanner-role.spec.ts).
 */
const LOG = 'login ok user=jane.doe@example.org\ntoken ghp_PlantedPlantedPlantedPlanted01234567 password=Planted-Secret-41f7\n';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('scan_blob and the remote pass, run twice', () => {
  let s3: TestS3;
  let store: S3BlobStore;
  let prefix: string;
  let blobPath: string;
  const key = randomBytes(32);

  beforeAll(async () => {
    s3 = await startTestS3();
    store = new S3BlobStore(s3.settings('scan-jobs/'), key);
    blobPath = (await store.write(Readable.from([Buffer.from(LOG)]))).path;
  });
  beforeEach(() => (prefix = uniqueQueuePrefix('scan-jobs')));
  afterAll(async () => {
    store.destroy();
    await s3.close();
  });

  /** A scanner in this process on the test's prefix; returns how many jobs it ran and their results. */
  function scanner(): { runs: unknown[]; close: () => Promise<void> } {
    const connection = createRedisConnection({ kind: 'standalone', url: REDIS_URL }, 'worker');
    const sut = new ScanProcessor(store, undefined, 30_000);
    const runs: unknown[] = [];
    const worker = new Worker<ScanJobPayloads['scan_blob']>(SCAN_QUEUE, async (job) => sut.handleScanBlob(job), { connection, prefix });
    worker.on('completed', (_job, result) => runs.push(result));
    return {
      runs,
      close: async () => {
        await worker.close();
        connection.disconnect();
      },
    };
  }

  it('stores one result when the job runs twice; the second run finds it and does nothing', async () => {
    await writeOrder(store, 'twice-1', {
      v: 1,
      log_file_id: 'f1',
      blob_path: blobPath,
      expected_size: LOG.length,
      mode: 'scan',
      config: {},
    });
    const worker = scanner();
    const connection = createRedisConnection({ kind: 'standalone', url: REDIS_URL }, 'worker');
    const queue = new Queue(SCAN_QUEUE, { connection, prefix });
    try {
      for (let run = 0; run < 2; run += 1) {
        const job = await queue.add(
          'scan_blob',
          { work_id: 'twice-1', log_file_id: 'f1' },
          { ...SCAN_JOB_POLICY, jobId: scanJobId('twice-1') },
        );
        await waitUntil(async () => (await job.getState()) === 'completed');
        await job.remove();
      }
      expect(worker.runs).toEqual([
        { spans: expect.any(Number), size: LOG.length },
        { skipped: true, reason: 'the result is already stored' },
      ]);
      const spans: NewPiiSpan[] = [];
      const totals = await readResult(store, 'twice-1', (batch) => void spans.push(...batch));
      expect(totals).toMatchObject({ size: LOG.length, spans: spans.length });
      const values = spans.map((s) => s.original_value).join('\n');
      for (const planted of ['ghp_PlantedPlantedPlantedPlanted01234567', 'Planted-Secret-41f7']) expect(values).toContain(planted);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
      connection.disconnect();
      await worker.close();
    }
  });

  it("gives the writer's rerun the same result without a second scan", async () => {
    const config = loadConfig(WorkerConfig, { REDIS_URL, TFTSR_QUEUE_PREFIX: prefix });
    const sut = new RemoteScanner(config, store);
    const worker = scanner();
    try {
      const pass = async () => {
        const batches: NewPiiSpan[][] = [];
        const sink = { spans: (b: NewPiiSpan[]) => void batches.push(b), progress: () => undefined };
        const totals = await sut.pass({ workId: 'rerun-1', logFileId: 'f2' }, blobPath, LOG.length, {}, sink);
        return { totals, batches };
      };
      const first = await pass();
      const second = await pass();
      expect(second).toEqual(first);
      expect(first.totals.spans).toBeGreaterThan(1);
      expect(worker.runs).toHaveLength(1);
      sut.release('rerun-1');
      await waitUntil(async () => !(await store.exists(resultPath('rerun-1'))));
    } finally {
      await worker.close();
      await sut.onApplicationShutdown();
    }
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
