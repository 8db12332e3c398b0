import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { openDatabase } from '@tftsr/db';
import type { RunningApp, RunningStack } from '../support/app-processes';
import { appEnv, freePort, getJson, startApp, startStack, waitFor } from '../support/app-processes';
import { factory } from '../support/factory';
import { heldBody } from '../support/held-body';
import { makeTempDir, TEST_KEY, uniqueQueuePrefix } from '../support/temp-dir';

const ADMIN_KEY = `tftsr_e2e-backup-${'b'.repeat(32)}`;
const CLI = join(__dirname, '..', '..', 'bin', 'tftsr.js');
const auth = { authorization: `Bearer ${ADMIN_KEY}` };

/** The built `tftsr` tool as its own process, as an operator (or cron) runs it. */
async function tftsr(args: string[], dataDir: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', TFTSR_DATA_DIR: dataDir, TFTSR_DB_KEY: TEST_KEY },
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output };
}

/**
 * Backup and restore with the real API and worker: data made through the API, a backup taken while uploads are
 * in flight, restored into a fresh directory, verified (integrity, pages, audit chain, every file's hash), and
 * served again by a new API and worker that finish what the backup caught half done.
 */
describe('tftsr db backup and restore, with the service running', () => {
  let stack: RunningStack;
  let scratch: ReturnType<typeof makeTempDir>;
  const restored: RunningApp[] = [];

  beforeAll(async () => {
    stack = await startStack('backup', ADMIN_KEY);
    scratch = makeTempDir('tftsr-backup-');
  });
  afterAll(async () => {
    await Promise.all(restored.map((app) => app.stop('SIGKILL')));
    await stack.stop();
    scratch.remove();
  });

  const post = async (path: string, body: unknown) =>
    getJson(`${stack.base}${path}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const upload = async (issueId: string, name: string, content: Buffer | ReadableStream) => {
    const response = await fetch(`${stack.base}/v1/issues/${issueId}/log-files?file_name=${name}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      body: content,
      duplex: 'half',
    });
    return { status: response.status, body: (await response.json()) as { id: string } };
  };
  const logText = (n: number) => Buffer.from(`order ${n} failed for jane.doe${n}@example.org from 203.0.113.${n % 250}\n`.repeat(2000));
  const untilReady = (base: string, id: string) =>
    waitFor(
      async () => (await getJson(`${base}/v1/log-files/${id}`, { headers: auth })).body.status === 'ready',
      60_000,
      () => `${id} never became ready`,
    );
  const redactedContent = async (base: string, id: string) =>
    Buffer.from(await (await fetch(`${base}/v1/log-files/${id}/content?variant=redacted`, { headers: auth })).arrayBuffer());

  it('backs up while uploads are in flight, restores into a fresh directory, verifies it, and the restored service runs', async () => {
    // Data made through the API: issues, processed log files, one redacted copy, one image.
    const issues = [(await post('/v1/issues', factory.issue())).body.id, (await post('/v1/issues', factory.issue())).body.id] as string[];
    const settled: string[] = [];
    for (let n = 0; n < 4; n += 1) settled.push((await upload(issues[n % 2], `app-${n}.log`, logText(n))).body.id);
    for (const id of settled) await untilReady(stack.base, id);
    const redaction = await post(`/v1/log-files/${settled[0]}/redactions`, { all: true });
    expect(redaction.status).toBe(202);
    await waitFor(
      async () =>
        (await getJson(`${stack.base}/v1/log-files/${settled[0]}/redactions/${redaction.body.id}`, { headers: auth })).body.state ===
        'done',
      60_000,
      () => 'redaction never finished',
    );
    const png = await sharp(Buffer.alloc(32 * 32 * 3, 90), { raw: { width: 32, height: 32, channels: 3 } })
      .png()
      .toBuffer();
    const form = new FormData();
    form.append('pii_warning_acknowledged', 'true');
    form.append('file', new Blob([png]), 'screen.png');
    expect((await fetch(`${stack.base}/v1/issues/${issues[0]}/images`, { method: 'POST', headers: auth, body: form })).status).toBe(201);

    // One upload held open in the middle of its body for the whole backup: its file is half written.
    const slowBody = heldBody(logText(1000).subarray(0, 200_000));
    const slow = upload(issues[1], 'slow.log', slowBody.stream);
    await waitFor(
      async () => readdirSync(join(stack.dataDir, 'blobs', 'tmp')).length > 0,
      20_000,
      () => 'the slow upload never reached the disk',
    );
    // And a burst of uploads racing the backup.
    const burst = Promise.all(Array.from({ length: 12 }, (_, n) => upload(issues[n % 2], `burst-${n}.log`, logText(100 + n))));

    const dest = join(scratch.dir, 'backup-1');
    const backup = await tftsr(['db', 'backup', dest], stack.dataDir);
    slowBody.send(logText(1001));
    const [slowDone, burstDone] = await Promise.all([slow, burst]);
    expect(backup.code).toBe(0);
    expect(backup.output).toMatch(/encrypted \(SQLCipher 4, same key\)/);
    expect([slowDone.status, ...burstDone.map((b) => b.status)].every((s) => s === 202)).toBe(true);

    const manifest = JSON.parse(readFileSync(join(dest, 'manifest.json'), 'utf8')) as {
      blobs: { path: string }[];
      missing_blobs: string[];
    };
    expect(manifest.missing_blobs).toEqual([]);
    expect(manifest.blobs.some((b) => b.path.startsWith('blobs/tmp/'))).toBe(false);

    // The running service is never replaced under its feet.
    const refused = await tftsr(['db', 'restore', dest, '--force'], stack.dataDir);
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/refusing to restore/);

    const target = join(scratch.dir, 'restored');
    const restore = await tftsr(['db', 'restore', dest], target);
    expect(restore.output).toContain('integrity_check: ok');
    expect(restore.output).toMatch(/cipher_integrity_check: ok \(\d+ pages\)/);
    expect(restore.output).toMatch(/audit chain: intact \(\d+ entries\)/);
    expect(restore.output).toMatch(
      new RegExp(`stored files: ${manifest.blobs.length} of ${manifest.blobs.length} present, intact and matching their rows`),
    );
    expect(restore.code).toBe(0);

    // The snapshot holds everything committed before it and nothing half done: not the upload held open.
    const db = openDatabase({ path: join(target, 'tftsr.db'), key: TEST_KEY, readonly: true });
    const restoredFiles = new Set((db.prepare('SELECT id FROM log_files').all() as { id: string }[]).map((r) => r.id));
    const images = (db.prepare('SELECT count(*) AS n FROM image_attachments').get() as { n: number }).n;
    db.close();
    expect(settled.every((id) => restoredFiles.has(id))).toBe(true);
    expect(restoredFiles.has(slowDone.body.id)).toBe(false);
    expect(images).toBe(1);
    expect(manifest.blobs).toHaveLength(restoredFiles.size + images + 1);

    // A new API and worker on the restored data: what was processed is served as it was, and uploads the backup
    // caught before their jobs ran are processed now (the outbox re-sends jobs this Redis never had).
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const shared = { dataDir: target, queuePrefix: uniqueQueuePrefix('restored') };
    restored.push(
      startApp('api', appEnv({ ...shared, port }, { TFTSR_OUTBOX_STALE_MS: '1000', TFTSR_OUTBOX_RECONCILE_INTERVAL_MS: '500' })),
      startApp('worker', appEnv(shared)),
    );
    await waitFor(
      async () => (await getJson(`${base}/health/ready`)).status === 200,
      30_000,
      () => restored.map((a) => a.output()).join('\n'),
    );
    expect(await redactedContent(base, settled[0])).toEqual(await redactedContent(stack.base, settled[0]));
    for (const id of restoredFiles) await untilReady(base, id);
  }, 240_000);
});
