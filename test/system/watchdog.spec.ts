import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '@tftsr/db';
import type { PrivateRedis } from '../../scripts/private-redis';
import { startPrivateRedis } from '../../scripts/private-redis';
import type { RunningApp } from '../support/app-processes';
import { appEnv, freePort, getJson, startApp, waitFor } from '../support/app-processes';
import { factory } from '../support/factory';
import { makeTempDir, TEST_KEY, uniqueQueuePrefix } from '../support/temp-dir';

const ADMIN_KEY = `tftsr_e2e-watchdog-${'w'.repeat(32)}`;
const auth = { authorization: `Bearer ${ADMIN_KEY}` };

/**
 * Redis restarts under the real API and worker (private redis-server, AOF on): jobs keep running afterwards,
 * idle or busy, each exactly once. The watchdog runs with short limits, so that a BullMQ worker that stopped
 * consuming (bullmq #2466, #2964, #3185) is replaced within seconds instead of hanging the test.
 */
describe('the worker after Redis restarts', () => {
  let redis: PrivateRedis;
  let redisDir: string;
  let temp: ReturnType<typeof makeTempDir>;
  let api: RunningApp;
  let worker: RunningApp;
  let base: string;
  let issueId: string;

  beforeAll(async () => {
    redisDir = mkdtempSync(join(tmpdir(), 'tftsr-redis-'));
    redis = await startPrivateRedis({ dataDir: redisDir });
    temp = makeTempDir();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const shared = { dataDir: temp.dir, queuePrefix: uniqueQueuePrefix('watchdog') };
    api = startApp(
      'api',
      appEnv(
        { ...shared, port, adminKey: ADMIN_KEY },
        {
          REDIS_URL: redis.url,
          TFTSR_RATE_LIMIT_BURST: '100000',
          TFTSR_OUTBOX_RELAY_INTERVAL_MS: '200',
          TFTSR_OUTBOX_RECONCILE_INTERVAL_MS: '500',
          TFTSR_OUTBOX_STALE_MS: '2000',
        },
      ),
    );
    worker = startApp(
      'worker',
      appEnv(shared, {
        REDIS_URL: redis.url,
        TFTSR_WORKER_LOCK_MS: '10000',
        TFTSR_WATCHDOG_INTERVAL_MS: '500',
        TFTSR_WATCHDOG_STUCK_MS: '5000',
        TFTSR_WATCHDOG_RECONNECT_MS: '5000',
      }),
    );
    await waitFor(
      async () => (await getJson(`${base}/health/ready`)).status === 200,
      30_000,
      () => api.output() + worker.output(),
    );
    issueId = (await post('/v1/issues', factory.issue())).body.id;
  }, 60_000);
  afterAll(async () => {
    await Promise.all([api.stop('SIGKILL'), worker.stop('SIGKILL')]);
    await redis.stop();
    temp.remove();
    rmSync(redisDir, { recursive: true, force: true });
  });

  async function post(path: string, body: unknown) {
    return getJson(`${base}${path}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }
  const upload = async (name: string, lines: number) => {
    const content = Buffer.from('payment by 4111 1111 1111 1111 failed for bob@example.com from 198.51.100.7\n'.repeat(lines));
    const response = await fetch(`${base}/v1/issues/${issueId}/log-files?file_name=${name}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      body: content,
    });
    expect(response.status).toBe(202);
    return ((await response.json()) as { id: string }).id;
  };
  const states = async (ids: string[]) =>
    Promise.all(ids.map(async (id) => (await getJson(`${base}/v1/log-files/${id}`, { headers: auth })).body.status as string));
  const allReady = (ids: string[], timeoutMs = 90_000) =>
    waitFor(
      async () => (await states(ids)).every((s) => s === 'ready'),
      timeoutMs,
      () => `not all ready\n${worker.output().slice(-3000)}`,
    );

  async function restartRedis(): Promise<void> {
    const port = redis.port;
    await redis.stop();
    redis = await startPrivateRedis({ dataDir: redisDir, port });
  }

  /** One effect per job: one hash and one scan audited, one complete set of spans, no open outbox row. */
  function expectProcessedOnce(ids: string[], spansPerLine: number, lines: Record<string, number>): void {
    const db = openDatabase({ path: join(temp.dir, 'tftsr.db'), key: TEST_KEY, readonly: true });
    try {
      const count = (sql: string, ...args: unknown[]) => (db.prepare(sql).get(...args) as { n: number }).n;
      for (const id of ids) {
        expect({
          id,
          hashes: count(`SELECT count(*) AS n FROM audit_log WHERE action = 'hash_log_file' AND entity_id = ?`, id),
          scans: count(`SELECT count(*) AS n FROM audit_log WHERE action = 'detect_pii' AND entity_id = ?`, id),
          spans: count('SELECT count(*) AS n FROM pii_spans WHERE log_file_id = ?', id),
          open_jobs: count(`SELECT count(*) AS n FROM outbox WHERE state != 'done' AND json_extract(payload, '$.log_file_id') = ?`, id),
        }).toEqual({ id, hashes: 1, scans: 1, spans: spansPerLine * lines[id], open_jobs: 0 });
      }
    } finally {
      db.close();
    }
  }

  it('runs jobs after Redis restarts while the worker is idle', async () => {
    const first = await upload('before.log', 10);
    await allReady([first]);
    await restartRedis();
    const lines: Record<string, number> = { [first]: 10 };
    const after: string[] = [];
    for (let n = 0; n < 5; n += 1) {
      const id = await upload(`after-idle-${n}.log`, 10);
      after.push(id);
      lines[id] = 10;
    }
    await allReady(after);
    expectProcessedOnce([first, ...after], 3, lines);
  }, 150_000);

  it('runs every job exactly once after Redis restarts while the worker is busy', async () => {
    const lines: Record<string, number> = {};
    const ids: string[] = [];
    for (let n = 0; n < 12; n += 1) {
      const id = await upload(`busy-${n}.log`, 20_000);
      ids.push(id);
      lines[id] = 20_000;
    }
    // Restart in the middle: some files done, some not yet.
    await waitFor(
      async () => (await states(ids)).some((s) => s === 'ready'),
      60_000,
      () => worker.output().slice(-3000),
    );
    expect((await states(ids)).every((s) => s === 'ready')).toBe(false);
    await restartRedis();
    await allReady(ids, 180_000);
    expectProcessedOnce(ids, 3, lines);
    // After a restart the worker either reconnects by itself or its watchdog replaces it, and says why.
    for (const line of worker
      .output()
      .split('\n')
      .filter((l) => l.includes('watchdog:')))
      expect(line).toMatch(/re-creating the BullMQ worker of queue \w+: /);
  }, 300_000);
});
