import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listStoredFiles, openDatabase } from '@tftsr/db';
import { Agent } from 'undici';
import type { RunningApp } from '../support/app-processes';
import { appEnv, freePort, startApp, waitFor } from '../support/app-processes';
import { factory } from '../support/factory';
import { TEST_KEY, uniqueQueuePrefix } from '../support/temp-dir';

const MIB = 1024 * 1024;
const ADMIN_KEY = `tftsr_e2e-diskfull-${'d'.repeat(32)}`;
const auth = { authorization: `Bearer ${ADMIN_KEY}` };

/**
 * A full disk, with the real API and worker. Where the machine allows it (root with CAP_SYS_ADMIN), the data
 * directory is a real 48 MiB tmpfs: the database and the stored files share it, as on a full volume. Elsewhere
 * (an unprivileged CI container) the documented stand-in runs instead: TFTSR_TEST_DISK_QUOTA_BYTES, honoured
 * only under NODE_ENV=test, makes the blob writer fail with ENOSPC past a quota (libs/storage/src/disk-quota.ts);
 * there the database itself never fills, and readiness cannot see the quota.
 */
function canMountTmpfs(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = mkdtempSync(join(tmpdir(), 'tftsr-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

interface SmallDisk {
  dir: string;
  /** Extra environment for the API. */
  env: Record<string, string>;
  /** Whether free space is real (statfs sees it), so readiness reports it. */
  real: boolean;
  remove(): void;
}

function tmpfsDisk(): SmallDisk {
  const dir = mkdtempSync(join(tmpdir(), 'tftsr-diskfull-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m,mode=0700', 'tmpfs', dir]);
  return {
    dir,
    env: { TFTSR_MIN_FREE_DISK_BYTES: String(8 * MIB) },
    real: true,
    remove: () => {
      execFileSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function quotaDisk(): SmallDisk {
  const dir = mkdtempSync(join(tmpdir(), 'tftsr-diskquota-'));
  return {
    dir,
    env: { TFTSR_TEST_DISK_QUOTA_BYTES: String(32 * MIB) },
    real: false,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

const mountable = canMountTmpfs();
if (!mountable)
  console.warn('disk-full.spec: cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN); running the ENOSPC quota stand-in only');
const disks: [string, () => SmallDisk][] = [
  ...(mountable ? [['a 48 MiB tmpfs', tmpfsDisk] as [string, () => SmallDisk]] : []),
  ['the ENOSPC quota stand-in', quotaDisk],
];

/**
 * One connection per call: a 507 is answered before the client has sent the whole body, and the server then
 * drops that connection; a pooled socket would carry the next request into the reset.
 */
async function getJson(url: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const dispatcher = new Agent();
  try {
    const response = await fetch(url, { ...init, dispatcher });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  } finally {
    await dispatcher.close();
  }
}

describe.each(disks)('uploads when the disk is full (%s)', (_name, makeDisk) => {
  let disk: SmallDisk;
  let api: RunningApp;
  let worker: RunningApp;
  let base: string;

  beforeAll(async () => {
    disk = makeDisk();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const shared = { dataDir: disk.dir, queuePrefix: uniqueQueuePrefix('diskfull') };
    api = startApp('api', appEnv({ ...shared, port, adminKey: ADMIN_KEY }, { TFTSR_RATE_LIMIT_BURST: '100000', ...disk.env }));
    worker = startApp('worker', appEnv(shared, { TFTSR_WORKER_METRICS_PORT: '0' }));
    await waitFor(
      async () => (await getJson(`${base}/health/live`)).status === 200,
      30_000,
      () => api.output() + worker.output(),
    );
  }, 60_000);
  afterAll(async () => {
    await Promise.all([api.stop('SIGKILL'), worker.stop('SIGKILL')]);
    disk.remove();
  });

  const post = async (path: string, body: unknown) =>
    getJson(`${base}${path}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  /** Ordinary service lines without personal data: the database stays small, the files fill the disk. */
  const content = Buffer.from(
    '2026-11-27 10:00:00 INFO  [http-nio-8080-exec-4] GET /v2/orders status=200 bytes=5120 duration_ms=35\n'.repeat(40_000),
  );
  const upload = (issueId: string, name: string) =>
    getJson(`${base}/v1/issues/${issueId}/log-files?file_name=${name}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      body: content,
    });

  /** No partial file, no file without a row, no row without its file, and a sound database. */
  function expectConsistent(): void {
    expect(readdirSync(join(disk.dir, 'blobs', 'tmp'))).toEqual([]);
    const db = openDatabase({ path: join(disk.dir, 'tftsr.db'), key: TEST_KEY, readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const referenced = listStoredFiles(db).map((f) => f.path);
      expect(referenced.filter((path) => !existsSync(join(disk.dir, path)))).toEqual([]);
      const onDisk = readdirSync(join(disk.dir, 'blobs'))
        .filter((d) => d !== 'tmp')
        .flatMap((d) => readdirSync(join(disk.dir, 'blobs', d)).map((f) => `blobs/${d}/${f}`));
      expect(onDisk.sort()).toEqual([...referenced].sort());
    } finally {
      db.close();
    }
  }

  it('answers 507 with a clear message, leaves nothing half written, and accepts uploads again once space is freed', async () => {
    const filler = (await post('/v1/issues', factory.issue())).body.id as string;
    const accepted: string[] = [];
    let refused: { status: number; body: any } | undefined;
    for (let n = 0; n < 40 && !refused; n += 1) {
      const answer = await upload(filler, `fill-${n}.log`);
      if (answer.status === 202) accepted.push(answer.body.id);
      else refused = answer;
    }
    expect(accepted.length).toBeGreaterThan(2);
    expect(refused).toEqual({
      status: 507,
      body: {
        error: { code: 'INSUFFICIENT_STORAGE', message: 'the server is out of disk space; the upload was not stored' },
        request_id: expect.any(String),
      },
    });
    // Again, with the same answer: nothing got stuck half way.
    expect((await upload(filler, 'again.log')).status).toBe(507);
    expectConsistent();
    if (disk.real) {
      const ready = await getJson(`${base}/health/ready`);
      expect(ready.status).toBe(503);
      expect(ready.body.checks.disk_space).toEqual({ ok: false, reason: expect.stringMatching(/uploads will fail with 507/) });
    }

    // Space freed: the issue and its files go, and uploads work again, processed to the end.
    const deleted = await getJson(`${base}/v1/issues/${filler}`, { method: 'DELETE', headers: auth });
    expect(deleted.status).toBe(204);
    const fresh = (await post('/v1/issues', factory.issue())).body.id as string;
    const again = await upload(fresh, 'after.log');
    expect(again.status).toBe(202);
    await waitFor(
      async () => (await getJson(`${base}/v1/log-files/${again.body.id}`, { headers: auth })).body.status === 'ready',
      60_000,
      () => worker.output().slice(-2000),
    );
    expectConsistent();
    expect((await getJson(`${base}/health/ready`)).status).toBe(200);
  }, 180_000);
});
