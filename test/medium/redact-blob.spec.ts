import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Worker } from 'bullmq';
import { loadConfig } from '@tftsr/config';
import { createRedisConnection, SCAN_QUEUE } from '@tftsr/jobs';
import type { ScanJobName, ScanJobPayloads } from '@tftsr/jobs';
import type { RedactionSpan } from '@tftsr/pii';
import { redactBuffer } from '@tftsr/pii';
import { S3BlobStore } from '@tftsr/storage';
import { WorkerConfig } from '@tftsr/worker/config/worker.config';
import { SpansDoNotFitError } from '@tftsr/worker/redact-blob';
import { RemoteScanner } from '@tftsr/worker/scanner/remote-scanner';
import { ScanProcessor } from '@tftsr/worker/scanner/scan.processor';
import { PLAN_BATCH, readRedactPlan, writeRedactPlan } from '@tftsr/worker/scanner/redact-work';
import { orderPath, resultPath } from '@tftsr/worker/scanner/scan-work';
import type { TestS3 } from '../support/s3-server';
import { startTestS3 } from '../support/s3-server';
import { uniqueQueuePrefix } from '../support/temp-dir';

/**
 * A redacted copy written by a scanner (issue 19): the plan's codec, and both sides of `redact_blob`. Real:
 * Redis (a unique prefix), BullMQ, s3rver, the blob format, the redactor. Not here: the database (the writer's
 * commit is test/system/scanner-role.spec.ts).
 */
const LOG = 'login ok user=jane.doe@example.org\ntoken ghp_PlantedPlantedPlantedPlanted01234567 password=Planted-Secret-41f7\n';
const PLANTED = ['jane.doe@example.org', 'ghp_PlantedPlantedPlantedPlanted01234567', 'Planted-Secret-41f7'];
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const spanOf = (value: string, replacement: string): RedactionSpan => {
  const start = LOG.indexOf(value);
  return { start, end: start + Buffer.byteLength(value), replacement };
};
const SPANS = [spanOf(PLANTED[0], '[Email-1]'), spanOf(PLANTED[1], '[GitHubToken]'), spanOf(PLANTED[2], '[Password]')];

describe('redact_blob: the plan and a redacted copy written by a scanner', () => {
  let s3: TestS3;
  let store: S3BlobStore;
  let blobPath: string;
  const key = randomBytes(32);

  beforeAll(async () => {
    s3 = await startTestS3();
    store = new S3BlobStore(s3.settings('redact-blob/'), key);
    blobPath = (await store.write(Readable.from([Buffer.from(LOG)]))).path;
  });
  afterAll(async () => {
    store.destroy();
    await s3.close();
  });

  const header = (spansEndAt: number) => ({ log_file_id: 'f1', blob_path: blobPath, expected: { sha256: null, spansEndAt } });

  it('round-trips a plan of 300 000 spans, streamed from a generator, in lines of at most PLAN_BATCH spans', async () => {
    const total = 300_000;
    function* many(): Generator<RedactionSpan> {
      for (let i = 0; i < total; i += 1) yield { start: i * 10, end: i * 10 + 4, replacement: `[T-${i % 7}]` };
    }
    expect(await writeRedactPlan(store, 'plan-1', header(total * 10), many())).toBe(total);

    // Raw: a header, lines of at most PLAN_BATCH spans, the count. Nothing in clear in the bucket.
    const raw: Buffer[] = [];
    for await (const chunk of store.readWork(orderPath('plan-1'))) raw.push(chunk);
    const lines = Buffer.concat(raw)
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ v: 1, mode: 'redact', log_file_id: 'f1', blob_path: blobPath });
    expect(lines[lines.length - 1]).toEqual({ done: total });
    const sizes = lines.slice(1, -1).map((l) => (l.spans as unknown[]).length);
    expect(Math.max(...sizes)).toBe(PLAN_BATCH);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(total);
    expect(s3.storedFiles().some((f) => f.bytes.includes(Buffer.from('[T-3]')))).toBe(false);

    // Read back in order, one at a time, never collected.
    const plan = await readRedactPlan(store, 'plan-1');
    expect(plan.header).toEqual({ v: 1, mode: 'redact', ...header(total * 10) });
    let i = 0;
    for await (const s of plan.spans) {
      if (s.start !== i * 10 || s.end !== i * 10 + 4 || s.replacement !== `[T-${i % 7}]`) throw new Error(`span ${i} differs`);
      i += 1;
    }
    expect(i).toBe(total);
  });

  it('refuses a plan whose count line is missing or wrong, and stores no plan when its spans fail', async () => {
    const line = (v: unknown) => `${JSON.stringify(v)}\n`;
    const put = (id: string, text: string) => store.putWork(orderPath(id), Readable.from([Buffer.from(text)]));
    const drain = async (id: string) => {
      const plan = await readRedactPlan(store, id);
      for await (const s of plan.spans) void s;
    };
    const head = line({ v: 1, mode: 'redact', ...header(10) });
    await put('cut-1', head + line({ spans: [[0, 4, '[x]']] }));
    await expect(drain('cut-1')).rejects.toThrow(/incomplete/);
    await put('cut-2', head + line({ spans: [[0, 4, '[x]']] }) + line({ done: 2 }));
    await expect(drain('cut-2')).rejects.toThrow(/holds 1 spans, its count line says 2/);

    function* failing(): Generator<RedactionSpan> {
      yield { start: 0, end: 1, replacement: '[x]' };
      throw new Error('the database went away');
    }
    await expect(writeRedactPlan(store, 'failed-1', header(1), failing())).rejects.toThrow(/database went away/);
    expect(await store.exists(orderPath('failed-1'))).toBe(false);
  });

  describe('both sides, on Redis', () => {
    let prefix: string;
    let sut: RemoteScanner;
    let worker: Worker<ScanJobPayloads[ScanJobName]>;
    let connection: ReturnType<typeof createRedisConnection>;
    let runs: unknown[];

    beforeEach(() => {
      prefix = uniqueQueuePrefix('redact-blob');
      sut = new RemoteScanner(loadConfig(WorkerConfig, { REDIS_URL, TFTSR_QUEUE_PREFIX: prefix }), store);
      connection = createRedisConnection({ kind: 'standalone', url: REDIS_URL }, 'worker');
      const processor = new ScanProcessor(store, undefined, 30_000);
      runs = [];
      worker = new Worker(SCAN_QUEUE, async (job) => processor.handle(job), { connection, prefix });
      worker.on('completed', (job, result) => runs.push({ name: job.name, result }));
    });
    afterEach(async () => {
      await worker.close();
      await sut.onApplicationShutdown();
      connection.disconnect();
    });

    const storedBlobs = async () => {
      const found: string[] = [];
      for await (const o of store.listStored()) found.push(o.path);
      return found.sort();
    };
    const read = async (path: string) => {
      const parts: Buffer[] = [];
      for await (const chunk of store.openRead(path)) parts.push(chunk as Buffer);
      return Buffer.concat(parts).toString('utf8');
    };

    it('writes the redacted copy once; the rerun reuses the result; releasing leaves the copy alone', async () => {
      const expected = { sha256: null, spansEndAt: SPANS[2].end };
      const first = await sut.redact({ workId: 'w-redact-r1-type', logFileId: 'f1' }, blobPath, SPANS, expected);
      const second = await sut.redact({ workId: 'w-redact-r1-type', logFileId: 'f1' }, blobPath, SPANS, expected);
      expect(second).toEqual(first);
      await waitUntil(async () => runs.length > 0);
      expect(runs).toEqual([{ name: 'redact_blob', result: { size: first.size } }]);

      const copy = await read(first.path);
      expect(copy).toBe(redactBuffer(Buffer.from(LOG), SPANS).toString('utf8'));
      for (const planted of PLANTED) expect(copy).not.toContain(planted);
      expect(copy).toContain('login ok user=');
      expect(first.size).toBe(Buffer.byteLength(copy));

      await sut.releaseNow('w-redact-r1-type');
      expect([await store.exists(orderPath('w-redact-r1-type')), await store.exists(resultPath('w-redact-r1-type'))]).toEqual([
        false,
        false,
      ]);
      expect(await store.exists(first.path)).toBe(true);
      await store.remove(first.path);
    });

    it('gives back SpansDoNotFitError when the spans reach past the original, leaving no copy', async () => {
      const before = await storedBlobs();
      await expect(
        sut.redact({ workId: 'w-redact-r2-type', logFileId: 'f1' }, blobPath, SPANS, { sha256: null, spansEndAt: LOG.length + 100 }),
      ).rejects.toThrow(SpansDoNotFitError);
      await waitUntil(async () => runs.length > 0);
      expect(runs).toEqual([{ name: 'redact_blob', result: { problem: 'spans_do_not_fit' } }]);
      expect(await storedBlobs()).toEqual(before);
      await sut.releaseNow('w-redact-r2-type');
    });
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
