import { requestRedaction } from '../support/redaction-request';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Db } from '@tftsr/db';
import { LogFileRedactionRepository, newId } from '@tftsr/db';
import { loadConfig } from '@tftsr/config';
import { createRedisConnection, redactJobId, redactWorkIdFor, SCAN_JOB_POLICY, SCAN_QUEUE, scanJobId, workIdFor } from '@tftsr/jobs';
import type { ScanJobName, ScanJobPayloads } from '@tftsr/jobs';
import type { RedactionSpan } from '@tftsr/pii';
import { redactBuffer } from '@tftsr/pii';
import { S3BlobStore, WORK_PATH } from '@tftsr/storage';
import { WorkerConfig } from '@tftsr/worker/config/worker.config';
import { SpansDoNotFitError } from '@tftsr/worker/redact-blob';
import { RemoteScanner } from '@tftsr/worker/scanner/remote-scanner';
import { ScanProcessor } from '@tftsr/worker/scanner/scan.processor';
import { PLAN_BATCH, readRedactPlan, writeRedactPlan } from '@tftsr/worker/scanner/redact-work';
import type { RigStore } from '../support/ingest-rig';
import { IngestRig, jobOf } from '../support/ingest-rig';
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
/** The redact job's file: values the engine finds, around text it leaves alone. */
const REVIEW_LOG = [
  '2026-11-27T10:00:01Z app[412]: login ok user=jane.doe@example.org from 203.0.113.45',
  '2026-11-27T10:00:02Z app[412]: token ghp_PlantedPlantedPlantedPlanted01234567 password=Planted-Secret-41f7',
  '2026-11-27T10:00:03Z app[412]: card 4111 1111 1111 1111 declined, mail to ops@example.net',
].join('\n');

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

  it("names a redaction's work apart from a scan's of the same outbox row, new for each revision and style", () => {
    const job = { outbox_id: newId(), generation: newId() };
    const ids = [redactWorkIdFor(job, 3, 'type'), redactWorkIdFor(job, 4, 'type'), redactWorkIdFor(job, 3, 'pseudonym')];
    expect(new Set([...ids, workIdFor(job)]).size).toBe(4);
    for (const id of ids) {
      expect([orderPath(id), resultPath(id)].every((p) => WORK_PATH.test(p))).toBe(true);
      expect(redactJobId(id)).not.toContain(':');
      expect(redactJobId(id)).not.toBe(scanJobId(id));
    }
  });

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

  it('stores no copy and no result when the run lost its lock (another scanner runs the job)', async () => {
    const prefix = uniqueQueuePrefix('redact-lock');
    const connection = createRedisConnection({ kind: 'standalone', url: REDIS_URL }, 'worker');
    const queue = new Queue(SCAN_QUEUE, { connection, prefix });
    const worker = new Worker(SCAN_QUEUE, null, { connection, prefix, autorun: false });
    try {
      await writeRedactPlan(store, 'lost-1', header(SPANS[2].end), SPANS);
      await queue.add('redact_blob', { work_id: 'lost-1', log_file_id: 'f1' }, { ...SCAN_JOB_POLICY, jobId: redactJobId('lost-1') });
      const job = await worker.getNextJob('lost-token');
      expect(job?.id).toBe(redactJobId('lost-1'));
      // The lock expired (the scanner was cut off): BullMQ no longer counts this run as the job's.
      await connection.del(`${prefix}:${SCAN_QUEUE}:${job.id}:lock`);
      const before: string[] = [];
      for await (const o of store.listStored()) before.push(o.path);

      await expect(new ScanProcessor(store, undefined, 30_000).handle(job)).rejects.toThrow(/lost its lock/);

      const after: string[] = [];
      for await (const o of store.listStored()) after.push(o.path);
      expect(after.sort()).toEqual(before.sort());
      expect(await store.exists(resultPath('lost-1'))).toBe(false);
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      connection.disconnect();
    }
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

describe('the redact job in role writer: the copy from a scanner, the rest on the writer', () => {
  let s3: TestS3;
  let prefix: string;
  let rig: IngestRig;
  let db: Db;
  let store: S3BlobStore;
  let remote: RemoteScanner;
  let worker: Worker<ScanJobPayloads[ScanJobName]>;
  let connection: ReturnType<typeof createRedisConnection>;
  let runs: string[];
  /** Runs inside the scanner before its next redact_blob (once). */
  let beforeNextCopy: (() => void) | undefined;
  let rigs = 0;

  beforeAll(async () => (s3 = await startTestS3()));
  afterAll(() => s3.close());
  beforeEach(() => {
    prefix = uniqueQueuePrefix('redact-writer');
    const bucketPrefix = `writer-${++rigs}/`;
    const s3Store: RigStore = { open: (_dir, key) => new S3BlobStore(s3.settings(bucketPrefix), key), rawFile: () => '' };
    rig = new IngestRig(s3Store, (blobs) => {
      remote = new RemoteScanner(loadConfig(WorkerConfig, { REDIS_URL, TFTSR_QUEUE_PREFIX: prefix }), blobs as S3BlobStore);
      return remote;
    });
    db = rig.db;
    store = rig.blobs as S3BlobStore;
    connection = createRedisConnection({ kind: 'standalone', url: REDIS_URL }, 'worker');
    const processor = new ScanProcessor(store, undefined, 30_000);
    runs = [];
    beforeNextCopy = undefined;
    worker = new Worker(
      SCAN_QUEUE,
      async (job) => {
        const hook = beforeNextCopy;
        beforeNextCopy = undefined;
        hook?.();
        runs.push(job.name);
        return processor.handle(job);
      },
      { connection, prefix },
    );
  });
  afterEach(async () => {
    await worker.close();
    await remote.onApplicationShutdown();
    connection.disconnect();
    rig.close();
  });

  async function readyFile() {
    const { fileId, hash, scan } = await rig.upload(REVIEW_LOG);
    await rig.sut.handleDetectPii(jobOf(scan));
    await rig.sut.handleHash(jobOf(hash));
    return fileId;
  }

  const stored = async () => {
    const found: string[] = [];
    for await (const o of store.listStored()) found.push(o.path);
    return found.sort();
  };
  const work = async () => {
    const found: string[] = [];
    for await (const o of store.listWork()) found.push(o.path);
    return found;
  };
  const originals = (fileId: string) =>
    (db.prepare('SELECT original_value FROM pii_spans WHERE log_file_id = ?').all(fileId) as { original_value: string }[]).map(
      (r) => r.original_value,
    );

  it('commits the copy a scanner wrote: one row, one apply_redactions, nothing of the spans in it, no work left', async () => {
    const fileId = await readyFile();
    const job = requestRedaction(db, fileId);
    const before = await stored();

    const result = await rig.sut.handleRedact(jobOf(job, 0, 'redact'));

    expect(result).toMatchObject({ version: 1 });
    expect(runs).toEqual(['redact_blob']);
    const row = new LogFileRedactionRepository(db).get(fileId)!;
    expect(await stored()).toEqual([...before, row.redacted_path].sort());
    const copy = (await buffer(store.openRead(row.redacted_path))).toString('utf8');
    const values = originals(fileId);
    expect(values.length).toBeGreaterThanOrEqual(4);
    for (const value of values) expect([value, copy.includes(value)]).toEqual([value, false]);
    expect(copy).toContain('2026-11-27T10:00:03Z app[412]: card ');
    expect(copy.split('\n')).toHaveLength(3);
    expect(rig.count(`SELECT count(*) AS n FROM audit_log WHERE action = 'apply_redactions' AND entity_id = ?`, fileId)).toBe(1);
    expect(await work()).toEqual([]);
  });

  it("keeps the committed copy when two runs of the job overlap: they share the scanner's copy, the loser removes nothing of it", async () => {
    const fileId = await readyFile();
    const job = requestRedaction(db, fileId);
    const before = await stored();

    // The second run starts once the first one's plan is in the bucket (a stalled lock's rerun comes later still).
    const first = rig.sut.handleRedact(jobOf(job, 0, 'redact'));
    await waitUntil(async () => (await work()).some((path) => path.endsWith('.order')));
    const results = await Promise.allSettled([first, rig.sut.handleRedact(jobOf(job, 0, 'redact'))]);

    // One run commits. The other finds the job done, or (when the winner released the result under it) fails this
    // attempt with an error BullMQ retries, and its next attempt finds the job done. It never removes the copy.
    const committed = results.filter((r) => r.status === 'fulfilled' && 'version' in r.value);
    expect(committed).toHaveLength(1);
    const other = results.find((r) => r !== committed[0])!;
    if (other.status === 'fulfilled') expect(other.value).toMatchObject({ skipped: true });
    else expect(other.reason).not.toBeInstanceOf(UnrecoverableError);
    const row = new LogFileRedactionRepository(db).get(fileId)!;
    expect(await stored()).toEqual([...before, row.redacted_path].sort());
    expect((await buffer(store.openRead(row.redacted_path))).length).toBe(row.redacted_size);
    expect(rig.count(`SELECT count(*) AS n FROM audit_log WHERE action = 'apply_redactions' AND entity_id = ?`, fileId)).toBe(1);
    expect(await work()).toEqual([]);
  });

  it('starts over when the decisions change while the scanner writes: the stale copy is removed, the new one committed', async () => {
    const fileId = await readyFile();
    const job = requestRedaction(db, fileId);
    const before = await stored();
    beforeNextCopy = () => {
      const bumped = db.prepare('UPDATE log_file_review SET decisions_rev = decisions_rev + 1 WHERE log_file_id = ?').run(fileId);
      expect(bumped.changes).toBe(1);
    };

    const result = await rig.sut.handleRedact(jobOf(job, 0, 'redact'));

    expect(result).toMatchObject({ version: 1 });
    expect(runs).toEqual(['redact_blob', 'redact_blob']);
    const row = new LogFileRedactionRepository(db).get(fileId)!;
    const rev = (db.prepare('SELECT decisions_rev AS rev FROM log_file_review WHERE log_file_id = ?').get(fileId) as { rev: number }).rev;
    expect(row.decisions_rev).toBe(rev);
    // The stale copy went with its work objects; one copy remains, the committed one.
    expect(await stored()).toEqual([...before, row.redacted_path].sort());
    expect(await work()).toEqual([]);
    expect(rig.count(`SELECT count(*) AS n FROM audit_log WHERE action = 'apply_redactions' AND entity_id = ?`, fileId)).toBe(1);
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
