import { join } from 'node:path';
import { deriveKey, generateApiKey, openDatabase } from '@tftsr/db';
import { FsBlobStore } from '@tftsr/storage';
import type { RunningApp } from '../support/app-processes';
import { appEnv, freePort, getJson, startApp, waitFor } from '../support/app-processes';
import { factory } from '../support/factory';
import { makeTempDir, TEST_KEY, uniqueQueuePrefix } from '../support/temp-dir';

const SENDERS = 8;
const LINES_PER_REQUEST = 20;

/**
 * SIGKILL the API while shippers stream into it: every line it answered 2xx for must be in the issue's chunks exactly
 * once after a restart, and no line may be there twice (an unanswered request may or may not have landed).
 */
describe('SIGKILL of the API mid-stream', () => {
  const temp = makeTempDir('tftsr-shipper-kill-');
  const adminKey = generateApiKey();
  let port: number;
  let api: RunningApp;
  const env = () =>
    appEnv({ dataDir: temp.dir, queuePrefix: uniqueQueuePrefix('shipper-kill'), port, adminKey }, { TFTSR_RATE_LIMIT_BURST: '1000000' });
  const base = () => `http://127.0.0.1:${port}`;
  const call = (method: string, path: string, body?: unknown) =>
    getJson(`${base()}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  const startApi = async () => {
    api = startApp('api', env());
    await waitFor(
      async () => (await getJson(`${base()}/health/ready`)).status === 200,
      30_000,
      () => api.output(),
    );
  };

  beforeAll(async () => {
    port = await freePort();
    await startApi();
  });
  afterAll(async () => {
    await api.stop();
    temp.remove();
  });

  it('keeps every acknowledged line exactly once', async () => {
    const issue = (await call('POST', '/v1/issues', factory.issue())).body;
    // Small chunks, so that chunks close (blob, row, jobs) all through the run, crash included.
    expect((await call('PUT', '/v1/settings/ingest.chunk_max_bytes', { value: 4096 })).status).toBe(200);
    expect((await call('PUT', '/v1/settings/ingest.chunk_idle_seconds', { value: 1 })).status).toBe(200);

    const acked: string[] = [];
    let attempted = 0;
    const sender = async (s: number) => {
      for (let r = 0; ; r++) {
        const lines = Array.from({ length: LINES_PER_REQUEST }, (_, l) => `s${s}-r${r}-l${l}`);
        attempted += 1;
        try {
          const response = await fetch(`${base()}/v1/issues/${issue.id}/log-streams/kill-${s % 2}`, {
            method: 'POST',
            headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/x-ndjson' },
            body: `${lines.join('\n')}\n`,
          });
          if (response.status !== 200) return;
          await response.arrayBuffer();
          acked.push(...lines);
        } catch {
          return;
        }
      }
    };
    const running = Array.from({ length: SENDERS }, (_, s) => sender(s));
    await waitFor(
      async () => acked.length >= 400 * LINES_PER_REQUEST,
      60_000,
      () => api.output(),
    );
    api.child.kill('SIGKILL');
    await Promise.all(running);
    expect(attempted).toBeGreaterThan(acked.length / LINES_PER_REQUEST);

    await startApi();
    const db = openDatabase({ path: join(temp.dir, 'tftsr.db'), key: TEST_KEY });
    try {
      await waitFor(
        async () => (db.prepare(`SELECT count(*) AS n FROM log_stream_chunks WHERE state <> 'closed'`).get() as { n: number }).n === 0,
        30_000,
        () => api.output(),
      );
      const blobs = new FsBlobStore(temp.dir, deriveKey(TEST_KEY, 'blob-encryption'));
      const files = db.prepare(`SELECT file_path FROM log_files WHERE issue_id = ?`).all(issue.id) as { file_path: string }[];
      const seen = new Map<string, number>();
      for (const file of files) {
        const parts: Buffer[] = [];
        for await (const part of blobs.openRead(file.file_path)) parts.push(part as Buffer);
        for (const line of Buffer.concat(parts).toString('utf8').split('\n').filter(Boolean)) seen.set(line, (seen.get(line) ?? 0) + 1);
      }
      const missing = acked.filter((line) => !seen.has(line));
      const doubled = [...seen].filter(([, n]) => n > 1).map(([line]) => line);
      expect({ missing: missing.length, doubled: doubled.length }).toEqual({ missing: 0, doubled: 0 });
      expect(files.length).toBeGreaterThan(1);
    } finally {
      db.close();
    }
  });
});
