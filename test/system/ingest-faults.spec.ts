import IORedis from 'ioredis';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { scanBuffer, scanStream } from '@tftsr/pii';
import type { PrivateRedis } from '../../scripts/private-redis';
import { startPrivateRedis } from '../../scripts/private-redis';
import type { TestApi } from '../support/api-harness';
import { failure, startTestApi } from '../support/api-harness';
import type { RunningApp } from '../support/app-processes';
import { waitFor } from '../support/app-processes';
import { factory } from '../support/factory';
import { repeatedLog, SpanDigest } from '../../bench/support/log-corpus';
import { TEST_KEY } from '../support/temp-dir';
import { expectIntactAfterFault } from './support/post-checks';

/**
 * Faults during ingestion, with real components: a private Redis we can stop and flush, the API in-process,
 * the worker as a process we can kill. After each, every accepted upload has exactly one complete set of spans.
 */
describe('ingestion under faults', () => {
  let redis: PrivateRedis;
  let api: TestApi;
  let worker: RunningApp | undefined;
  let issueId: string;
  /** Every upload answered 2xx, for the post-checks after each fault. */
  const accepted: string[] = [];
  const postChecks = () => expectIntactAfterFault({ dataDir: api.dataDir, key: TEST_KEY, accepted });

  const startWorker = () =>
    api.startWorker({
      REDIS_URL: redis.url,
      // A killed worker's jobs come back after this long, instead of BullMQ's default 30 s.
      TFTSR_WORKER_LOCK_MS: '2000',
    });

  beforeAll(async () => {
    const scratch = mkdtempSync(join(tmpdir(), 'tftsr-redis-'));
    redis = await startPrivateRedis({ dataDir: scratch });
    api = await startTestApi('ingest-faults', {
      REDIS_URL: redis.url,
      TFTSR_OUTBOX_RELAY_INTERVAL_MS: '200',
      TFTSR_OUTBOX_RECONCILE_INTERVAL_MS: '500',
      TFTSR_OUTBOX_STALE_MS: '1000',
    });
    issueId = (await api.call('POST', '/v1/issues', { body: factory.issue() })).body.id;
    await api.call('PUT', '/v1/settings/uploads.max_files_per_issue', { body: { value: 10000 } });
  });
  afterAll(async () => {
    await worker?.stop('SIGKILL');
    await api.close();
    await redis.stop();
  });

  const upload = async (name: string, content: Buffer) => {
    const res = await api.call('POST', `/v1/issues/${issueId}/log-files?file_name=${name}`, {
      rawBody: content,
      headers: { 'content-type': 'application/octet-stream' },
    });
    if (res.status === 202) accepted.push(res.body.id);
    return res;
  };
  const count = (sql: string, ...args: unknown[]) => (api.db.prepare(sql).get(...args) as { n: number }).n;
  const readyCount = (ids: string[]) =>
    count(
      `SELECT count(*) AS n FROM log_file_processing WHERE hash_state = 'done' AND scan_state = 'done' AND log_file_id IN (${ids.map(() => '?').join(',')})`,
      ...ids,
    );

  /** Exactly one effect per job: one audit entry of each kind, one set of spans, the outbox rows done. */
  function expectProcessedOnce(ids: string[], spansPerFile: number): void {
    for (const id of ids) {
      expect({
        id,
        hashes: count(`SELECT count(*) AS n FROM audit_log WHERE action = 'hash_log_file' AND entity_id = ?`, id),
        scans: count(`SELECT count(*) AS n FROM audit_log WHERE action = 'detect_pii' AND entity_id = ?`, id),
        spans: count('SELECT count(*) AS n FROM pii_spans WHERE log_file_id = ?', id),
        open_jobs: count(`SELECT count(*) AS n FROM outbox WHERE state != 'done' AND json_extract(payload, '$.log_file_id') = ?`, id),
      }).toEqual({ id, hashes: 1, scans: 1, spans: spansPerFile, open_jobs: 0 });
    }
    expect(count('SELECT count(*) AS n FROM pii_scan_runs')).toBe(0);
  }

  it('accepts 200 uploads while Redis is down, and processes each exactly once after it restarts', async () => {
    const content = Buffer.from('login ok for jane.doe@example.org from 203.0.113.45\npayment by 4111 1111 1111 1111 ok\n');
    const perFile = scanBuffer(content).length;
    worker = startWorker();
    const port = redis.port;
    await redis.stop();

    const ids: string[] = [];
    for (let i = 0; i < 200; i += 1) {
      const res = await upload(`down-${i}.log`, content);
      expect(res.status).toBe(202);
      ids.push(res.body.id);
    }
    expect(count(`SELECT count(*) AS n FROM outbox WHERE state = 'pending'`)).toBe(400);

    redis = await startPrivateRedis({ dataDir: redis.dir.replace(/\/redis$/, ''), port });
    await waitFor(
      async () => readyCount(ids) === ids.length,
      90_000,
      () => `${readyCount(ids)} of ${ids.length} ready\n${worker!.output().slice(-2000)}`,
    );
    expectProcessedOnce(ids, perFile);
    await postChecks();
  }, 150_000);

  it('recovers every job when Redis loses its data while the jobs wait', async () => {
    await worker?.stop();
    worker = undefined;
    const content = Buffer.from('user bob@example.com from 198.51.100.7\n');
    const ids: string[] = [];
    for (let i = 0; i < 20; i += 1) ids.push((await upload(`flushed-${i}.log`, content)).body.id);
    await waitFor(
      async () => count(`SELECT count(*) AS n FROM outbox WHERE state = 'pending'`) === 0,
      20_000,
      () => 'outbox never dispatched',
    );

    const client = new IORedis(redis.url);
    expect(await client.keys(`${api.config.TFTSR_QUEUE_PREFIX}:ingest:*`)).not.toHaveLength(0);
    await client.flushall();
    client.disconnect();

    worker = startWorker();
    await waitFor(
      async () => readyCount(ids) === ids.length,
      60_000,
      () => `${readyCount(ids)} of ${ids.length} ready\n${worker!.output().slice(-2000)}`,
    );
    expectProcessedOnce(ids, 2);
    await postChecks();
  }, 120_000);

  it('finishes a 200 MB scan with one complete set of spans after the worker is SIGKILLed in the middle', async () => {
    const size = 200 * 1024 * 1024;
    const body = Readable.toWeb(repeatedLog(size)) as unknown as RequestInit['body'];
    const res = await fetch(`${api.base}/v1/issues/${issueId}/log-files?file_name=big.log`, {
      method: 'POST',
      body,
      duplex: 'half',
      headers: { authorization: `Bearer ${api.adminKey}`, 'content-type': 'application/octet-stream' },
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    accepted.push(id);

    await waitFor(
      async () => count(`SELECT scan_progress AS n FROM log_file_processing WHERE log_file_id = ?`, id) >= 15,
      60_000,
      () => worker!.output().slice(-2000),
    );
    await worker!.stop('SIGKILL');
    worker = startWorker();
    await waitFor(
      async () => readyCount([id]) === 1,
      180_000,
      () => worker!.output().slice(-2000),
    );

    const expected = new SpanDigest();
    for await (const span of scanStream(repeatedLog(size))) expected.add(span);
    const stored = new SpanDigest();
    for (const row of api.db
      .prepare('SELECT pii_type, start_offset AS start, end_offset AS "end" FROM pii_spans WHERE log_file_id = ? ORDER BY start_offset')
      .iterate(id) as IterableIterator<{ pii_type: string; start: number; end: number }>) {
      stored.add(row);
    }
    expect({ count: stored.count, digest: stored.digest() }).toEqual({ count: expected.count, digest: expected.digest() });
    expectProcessedOnce([id], expected.count);
    await postChecks();
  }, 300_000);

  it('answers uploads with 202 only once the data is on disk: a refused one leaves no row and no job', async () => {
    const before = count('SELECT count(*) AS n FROM outbox');
    expect(failure(await upload('x.exe', Buffer.from('MZ')))).toEqual([415, 'UNSUPPORTED_FILE_TYPE']);
    expect(count('SELECT count(*) AS n FROM outbox')).toBe(before);
    // The post-checks re-read every stored file, the 200 MB one of the test above included: 25 s on a quiet machine.
    await postChecks();
  }, 150_000);
});
