import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { openDatabase } from '../../libs/db/src';
import { scanStream } from '../../libs/pii/src';
import { freePort, getJson, RunningApp, startApp, waitFor } from '../support/app-processes';
import { repeatedLog, SpanDigest } from '../../bench/support/log-corpus';
import { makeTempDir, TEST_KEY, uniqueQueuePrefix } from '../support/temp-dir';

const GIB = 1024 * 1024 * 1024;
const RSS_LIMIT_MB = 256;
const ADMIN_KEY = `tftsr_large-upload-${'k'.repeat(32)}`;

/** Peak resident memory of a live process, from the kernel (VmHWM), in MiB. */
function peakRssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? NaN) / 1024;
}

describe('a 1 GB log upload', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let api: RunningApp;
  let worker: RunningApp;
  let base: string;

  beforeAll(async () => {
    temp = makeTempDir();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env = { TFTSR_DATA_DIR: temp.dir, TFTSR_DB_KEY: TEST_KEY, REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', TFTSR_QUEUE_PREFIX: uniqueQueuePrefix('large') };
    api = startApp('api', { ...env, PORT: String(port), HOST: '127.0.0.1', TFTSR_BOOTSTRAP_API_KEY: ADMIN_KEY, TFTSR_OUTBOX_RELAY_INTERVAL_MS: '200' });
    worker = startApp('worker', env);
    await waitFor(async () => (await getJson(`${base}/health/ready`)).status === 200, 30_000, () => api.output() + worker.output());
  });
  afterAll(async () => {
    await Promise.all([api.stop(), worker.stop()]);
    temp.remove();
  });

  it('keeps the API and the worker each under 256 MB of RSS, and stores the spans the engine finds in the same bytes', async () => {
    const headers = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };
    const issue = await getJson(`${base}/v1/issues`, { method: 'POST', headers, body: JSON.stringify({ title: 'Big log', severity: 'low' }) });
    const upload = await fetch(`${base}/v1/issues/${issue.body.id}/log-files?file_name=huge.log`, {
      method: 'POST',
      body: Readable.toWeb(repeatedLog(GIB, 'sparse')) as unknown as RequestInit['body'],
      duplex: 'half',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/octet-stream' },
    } as RequestInit);
    expect(upload.status).toBe(202);
    const { id } = (await upload.json()) as { id: string };
    const done = await waitFor(
      async () => {
        const { body } = await getJson(`${base}/v1/log-files/${id}`, { headers });
        return body.status === 'ready' || body.status === 'failed' ? body : undefined;
      },
      600_000,
      () => worker.output().slice(-2000),
    );
    expect(done).toMatchObject({ status: 'ready', file_size: GIB });

    const peaks = { api: peakRssMb(api.child.pid!), worker: peakRssMb(worker.child.pid!) };
    expect({ api: peaks.api < RSS_LIMIT_MB, worker: peaks.worker < RSS_LIMIT_MB, peaks }).toEqual({ api: true, worker: true, peaks });

    const expected = new SpanDigest();
    for await (const span of scanStream(repeatedLog(GIB, 'sparse'))) expected.add(span);
    const db = openDatabase({ path: `${temp.dir}/tftsr.db`, key: TEST_KEY, readonly: true });
    const stored = new SpanDigest();
    const rows = db.prepare('SELECT pii_type, start_offset AS start, end_offset AS "end" FROM pii_spans WHERE log_file_id = ? ORDER BY start_offset').iterate(id);
    for (const row of rows as IterableIterator<{ pii_type: string; start: number; end: number }>) stored.add(row);
    db.close();
    expect({ count: stored.count, digest: stored.digest() }).toEqual({ count: expected.count, digest: expected.digest() });
  }, 900_000);
});
