import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { openDatabase } from '@tftsr/db';
import { scanStream } from '@tftsr/pii';
import type { RunningApp, RunningStack } from '../support/app-processes';
import { getJson, startStack, waitFor } from '../support/app-processes';
import { repeatedLog, SpanDigest } from '../../bench/support/log-corpus';
import { TEST_KEY } from '../support/temp-dir';

const GIB = 1024 * 1024 * 1024;
const RSS_LIMIT_MB = 256;
const ADMIN_KEY = `tftsr_large-upload-${'k'.repeat(32)}`;

/** Peak resident memory of a live process, from the kernel (VmHWM), in MiB. */
function peakRssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1] ?? NaN) / 1024;
}

describe('a 1 GB log upload', () => {
  let stack: RunningStack;
  let api: RunningApp;
  let worker: RunningApp;
  let base: string;

  beforeAll(async () => {
    stack = await startStack('large', ADMIN_KEY, { TFTSR_OUTBOX_RELAY_INTERVAL_MS: '200' });
    ({ api, worker, base } = stack);
  });
  afterAll(() => stack.stop());

  it('keeps the API and the worker each under 256 MB of RSS, and stores the spans the engine finds in the same bytes', async () => {
    const headers = { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' };
    const issue = await getJson(`${base}/v1/issues`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ title: 'Big log', severity: 'low' }),
    });
    const upload = await fetch(`${base}/v1/issues/${issue.body.id}/log-files?file_name=huge.log`, {
      method: 'POST',
      body: Readable.toWeb(repeatedLog(GIB, 'sparse')),
      duplex: 'half',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/octet-stream' },
    });
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
    const db = openDatabase({ path: `${stack.dataDir}/tftsr.db`, key: TEST_KEY, readonly: true });
    const stored = new SpanDigest();
    const rows = db
      .prepare('SELECT pii_type, start_offset AS start, end_offset AS "end" FROM pii_spans WHERE log_file_id = ? ORDER BY start_offset')
      .iterate(id);
    for (const row of rows as IterableIterator<{ pii_type: string; start: number; end: number }>) stored.add(row);
    db.close();
    expect({ count: stored.count, digest: stored.digest() }).toEqual({ count: expected.count, digest: expected.digest() });
  }, 900_000);
});
