import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Density } from '../../bench/support/log-corpus';
import { repeatedLog, SpanDigest } from '../../bench/support/log-corpus';
import { loadConfig } from '@tftsr/config';
import { ApiKeyRepository, generateApiKey, openDatabase } from '@tftsr/db';
import { scanStream } from '@tftsr/pii';
import { WorkerConfig } from '@tftsr/worker/config/worker.config';
import type { TestApi } from '../support/api-harness';
import { startTestApi } from '../support/api-harness';
import type { RunningApp } from '../support/app-processes';
import { appEnv, freePort, startApp, waitFor } from '../support/app-processes';
import { factory } from '../support/factory';
import { heldBody } from '../support/held-body';
import { makeTempDir, TEST_KEY, uniqueQueuePrefix } from '../support/temp-dir';

/**
 * SIGTERM with a grace period (TFTSR_SHUTDOWN_GRACE_MS): work that fits in it finishes before the process exits;
 * work that does not is abandoned, stalls, and runs again once, to completion, elsewhere. Never lost.
 */
describe('graceful shutdown of the worker', () => {
  let api: TestApi;
  let issueId: string;
  const workers: RunningApp[] = [];

  beforeAll(async () => {
    api = await startTestApi('shutdown', { TFTSR_OUTBOX_RELAY_INTERVAL_MS: '200' });
    issueId = (await api.createIssue()).id;
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    await api.close();
  });

  const startWorker = (env: Record<string, string>) => {
    const worker = api.startWorker(env);
    workers.push(worker);
    return worker;
  };
  const upload = async (name: string, bytes: number, density: Density) => {
    const res = await fetch(`${api.base}/v1/issues/${issueId}/log-files?file_name=${name}`, {
      method: 'POST',
      body: Readable.toWeb(repeatedLog(bytes, density)),
      duplex: 'half',
      headers: { authorization: `Bearer ${api.adminKey}`, 'content-type': 'application/octet-stream' },
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { id: string }).id;
  };
  const count = (sql: string, ...args: unknown[]) => (api.db.prepare(sql).get(...args) as { n: number }).n;
  const scanProgress = (id: string) => count('SELECT scan_progress AS n FROM log_file_processing WHERE log_file_id = ?', id);
  const scanned = (id: string) =>
    count(`SELECT count(*) AS n FROM log_file_processing WHERE log_file_id = ? AND scan_state = 'done'`, id) === 1;

  async function expectScannedOnce(id: string, bytes: number, density: Density): Promise<void> {
    const expected = new SpanDigest();
    for await (const span of scanStream(repeatedLog(bytes, density))) expected.add(span);
    const stored = new SpanDigest();
    for (const row of api.db
      .prepare('SELECT pii_type, start_offset AS start, end_offset AS "end" FROM pii_spans WHERE log_file_id = ? ORDER BY start_offset')
      .iterate(id) as IterableIterator<{ pii_type: string; start: number; end: number }>) {
      stored.add(row);
    }
    expect({ spans: stored.count, digest: stored.digest() }).toEqual({ spans: expected.count, digest: expected.digest() });
    expect(count(`SELECT count(*) AS n FROM audit_log WHERE action = 'detect_pii' AND entity_id = ?`, id)).toBe(1);
    expect(count('SELECT count(*) AS n FROM pii_scan_runs WHERE log_file_id = ?', id)).toBe(0);
    expect(count(`SELECT count(*) AS n FROM outbox WHERE state != 'done' AND json_extract(payload, '$.log_file_id') = ?`, id)).toBe(0);
  }

  it('finishes a job that fits in the grace period before it exits', async () => {
    const worker = startWorker({ TFTSR_SHUTDOWN_GRACE_MS: '60000' });
    const bytes = 12 * 1024 * 1024;
    const id = await upload('fits.log', bytes, 'sparse');
    await waitFor(
      async () => scanProgress(id) >= 5,
      60_000,
      () => worker.output().slice(-2000),
    );
    expect(scanned(id)).toBe(false);
    expect(await worker.stop('SIGTERM')).toBe(0);
    // No other worker runs: the scan finished in the process that was asked to stop.
    expect(scanned(id)).toBe(true);
    await expectScannedOnce(id, bytes, 'sparse');
  }, 180_000);

  it('abandons a job longer than the grace period; it stalls and runs again once, to completion', async () => {
    const lockMs = 3000;
    const first = startWorker({ TFTSR_SHUTDOWN_GRACE_MS: '500', TFTSR_WORKER_LOCK_MS: String(lockMs) });
    // Dense with PII, so the scan outlasts the grace and the rest of the shutdown by far.
    const bytes = 40 * 1024 * 1024;
    const id = await upload('long.log', bytes, 'dense');
    await waitFor(
      async () => scanProgress(id) >= 5,
      60_000,
      () => first.output().slice(-2000),
    );
    await first.stop('SIGTERM');
    expect(first.output()).toMatch(/jobs still running after 500 ms; left to stall and be retried/);
    expect(scanned(id)).toBe(false);

    const second = startWorker({ TFTSR_WORKER_LOCK_MS: String(lockMs) });
    await waitFor(
      async () => scanned(id),
      240_000,
      () => second.output().slice(-2000),
    );
    expect(second.output()).toMatch(/stalled; it will run again/);
    await expectScannedOnce(id, bytes, 'dense');
  }, 360_000);
});

describe('graceful shutdown of the API', () => {
  /** The API as a process of its own, with an issue to upload to; stopped and removed after the test. */
  async function startApiProcess(graceMs: number) {
    const temp = makeTempDir();
    const port = await freePort();
    const adminKey = `tftsr_e2e-shutdown-${'s'.repeat(32)}`;
    const app = startApp(
      'api',
      appEnv(
        { dataDir: temp.dir, queuePrefix: uniqueQueuePrefix('shutdown-api'), port, adminKey },
        { TFTSR_SHUTDOWN_GRACE_MS: String(graceMs), TFTSR_LOG_LEVEL: 'info' },
      ),
    );
    const base = `http://127.0.0.1:${port}`;
    const headers = { authorization: `Bearer ${adminKey}` };
    await waitFor(
      async () => (await fetch(`${base}/health/ready`)).ok,
      30_000,
      () => app.output(),
    );
    const issue = (await (
      await fetch(`${base}/v1/issues`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(factory.issue()),
      })
    ).json()) as { id: string };
    const database = join(temp.dir, 'tftsr.db');
    const dispose = async () => {
      await app.stop('SIGKILL');
      temp.remove();
    };
    return { app, base, port, headers, issueId: issue.id, database, dispose };
  }

  it('answers an upload that is in flight when SIGTERM arrives, then exits 0', async () => {
    const { app: api, base, headers, issueId, database, dispose } = await startApiProcess(30_000);
    try {
      const body = heldBody(Buffer.from('first half of the log\n'.repeat(1000)));
      const answer = fetch(`${base}/v1/issues/${issueId}/log-files?file_name=inflight.log`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/octet-stream' },
        body: body.stream,
        duplex: 'half',
      });
      await waitFor(
        async () => body.held,
        10_000,
        () => 'the upload never started',
      );
      const exited = api.stop('SIGTERM');
      await waitFor(
        async () => /SIGTERM received/.test(api.output()),
        10_000,
        () => api.output(),
      );
      body.send(Buffer.from('second half of the log\n'.repeat(1000)));
      expect((await answer).status).toBe(202);
      expect(await exited).toBe(0);
      const db = openDatabase({ path: database, key: TEST_KEY, readonly: true });
      expect(db.prepare(`SELECT count(*) AS n FROM log_files WHERE file_name = 'inflight.log'`).get()).toEqual({ n: 1 });
      db.close();
    } finally {
      await dispose();
    }
  }, 60_000);

  it('cuts a request whose client stopped reading its answer when the grace period ends, then finishes closing', async () => {
    const graceMs = 3000;
    const { app: api, base, port, headers, issueId, database, dispose } = await startApiProcess(graceMs);
    let client: Socket | undefined;
    try {
      // Far more than the sockets' buffers hold, so the answer cannot finish while the client does not read.
      const upload = await fetch(`${base}/v1/issues/${issueId}/log-files?file_name=large.log`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/octet-stream' },
        body: Buffer.alloc(32 * 1024 * 1024, 'a line of the log\n'),
      });
      expect(upload.status).toBe(202);
      const { id } = (await upload.json()) as { id: string };
      const revealer = generateApiKey();
      const db = openDatabase({ path: database, key: TEST_KEY });
      new ApiKeyRepository(db).insertKey('revealer', revealer, ['read', 'pii:reveal']);
      db.close();

      const stalled = connect(port, '127.0.0.1');
      client = stalled;
      stalled.write(`GET /v1/log-files/${id}/content?variant=original HTTP/1.1\r\nhost: api\r\nauthorization: Bearer ${revealer}\r\n\r\n`);
      const [head] = (await once(stalled, 'data')) as [Buffer];
      stalled.pause();
      expect(head.toString('latin1')).toMatch(/^HTTP\/1\.1 200 /);

      // Exit 1: a request was left unanswered. But the close went on and ended (the outbox relay, the database)
      // instead of waiting for that answer until the process gave up, as it did before.
      expect(await api.stop('SIGTERM')).toBe(1);
      expect(api.output()).toContain(`cutting 1 request(s) still in flight ${graceMs} ms after shutdown began`);
      expect(api.output()).toContain('shutdown failed: 1 request(s) were still in flight when the grace period ended, and were cut');
      expect(api.output()).not.toContain('still shutting down');
      // The database was closed: the last connection's close checkpoints the WAL and removes it.
      expect(existsSync(`${database}-wal`)).toBe(false);
    } finally {
      client?.destroy();
      await dispose();
    }
  }, 60_000);
});

describe('docker-compose.yml', () => {
  it('gives the containers the grace period plus a 5 s margin before Docker kills them', () => {
    const yaml = readFileSync(join(__dirname, '..', '..', 'docker-compose.yml'), 'utf8');
    const graceMs = Number(/TFTSR_SHUTDOWN_GRACE_MS:\s*"(\d+)"/.exec(yaml)?.[1]);
    const stopSeconds = [...yaml.matchAll(/stop_grace_period:\s*(\d+)s/g)].map((m) => Number(m[1]));
    expect(graceMs).toBe(loadConfig(WorkerConfig, {}).TFTSR_SHUTDOWN_GRACE_MS);
    expect(new Set(stopSeconds)).toEqual(new Set([graceMs / 1000 + 5]));
  });
});
