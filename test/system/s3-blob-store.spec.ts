import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '@tftsr/db';
import { S3BlobStore } from '@tftsr/storage';
import type { RunningStack } from '../support/app-processes';
import { getJson, startStack, waitFor } from '../support/app-processes';
import { factory } from '../support/factory';
import type { TestS3 } from '../support/s3-server';
import { startTestS3 } from '../support/s3-server';
import { makeTempDir, TEST_KEY } from '../support/temp-dir';

const ADMIN_KEY = `tftsr_e2e-s3blob-${'s'.repeat(32)}`;
const CLI = join(__dirname, '..', '..', 'bin', 'tftsr.js');
const auth = { authorization: `Bearer ${ADMIN_KEY}` };
/** Planted in every upload: it must reach the PII engine, and never the bucket. */
const SECRET = 'jane.s3-planted@example.org';

/**
 * TFTSR_BLOB_STORE=s3 with the real API, worker and `tftsr`, against s3rver (a test S3-compatible server in this
 * process, behind a proxy that can cut uploads): the upload path end to end, the store's faults, and the
 * operator's backup, restore, verify and purge.
 */
describe('blobs in an S3-compatible bucket', () => {
  let s3: TestS3;
  let stack: RunningStack;
  let scratch: ReturnType<typeof makeTempDir>;

  beforeAll(async () => {
    s3 = await startTestS3();
    stack = await startStack('s3blob', ADMIN_KEY, s3.env('live/'), s3.env('live/'));
    scratch = makeTempDir('tftsr-s3-cli-');
  });
  afterAll(async () => {
    await stack?.stop();
    await s3?.close();
    scratch?.remove();
  });

  const tftsr = async (args: string[], dataDir: string, prefix: string) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', TFTSR_DATA_DIR: dataDir, TFTSR_DB_KEY: TEST_KEY, ...s3.env(prefix) },
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    return { code, output };
  };
  const upload = async (issueId: string, name: string, content: Buffer) => {
    const response = await fetch(`${stack.base}/v1/issues/${issueId}/log-files?file_name=${name}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      body: content,
    });
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      body: (await response.json()) as { id: string; error?: { code: string } },
    };
  };
  const newIssue = async () =>
    (
      await getJson(`${stack.base}/v1/issues`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(factory.issue()),
      })
    ).body.id as string;
  const logText = (bytes: number) => {
    const line = Buffer.from(`order failed for ${SECRET} from 203.0.113.7, retrying\n`);
    return Buffer.concat(Array.from({ length: Math.ceil(bytes / line.length) }, () => line)).subarray(0, bytes);
  };
  const inBucket = async (prefix: string) => {
    const store = new S3BlobStore(s3.settings(prefix), Buffer.alloc(32));
    try {
      const paths: string[] = [];
      for await (const blob of store.listStored()) paths.push(blob.path);
      return paths.sort();
    } finally {
      store.destroy();
    }
  };
  const referenced = (dataDir: string) => {
    const db = openDatabase({ path: join(dataDir, 'tftsr.db'), key: TEST_KEY, readonly: true });
    try {
      return (
        db.prepare(`SELECT file_path FROM log_files UNION ALL SELECT redacted_path FROM log_file_redactions`).pluck().all() as string[]
      ).sort();
    } finally {
      db.close();
    }
  };
  let issueId: string;
  let fileIds: string[];

  it('stores uploads as ciphertext in the bucket, and the worker hashes them and finds their PII from there', async () => {
    issueId = await newIssue();
    const contents = [logText(20_000), logText(11 * 1024 * 1024)]; // one PUT, and one upload in three parts
    const uploads = [await upload(issueId, 'small.log', contents[0]), await upload(issueId, 'large.log', contents[1])];
    expect(uploads.map((u) => u.status)).toEqual([202, 202]);
    fileIds = uploads.map((u) => u.body.id);
    for (const id of fileIds) {
      await waitFor(
        async () => (await getJson(`${stack.base}/v1/log-files/${id}`, { headers: auth })).body.status === 'ready',
        120_000,
        () => `${id} never became ready`,
      );
    }
    const db = openDatabase({ path: join(stack.dataDir, 'tftsr.db'), key: TEST_KEY, readonly: true });
    const spans = fileIds.map(
      (id) => db.prepare(`SELECT count(*) FROM pii_spans WHERE log_file_id = ? AND original_value = ?`).pluck().get(id, SECRET) as number,
    );
    const hashes = fileIds.map((id) => db.prepare(`SELECT content_hash FROM log_files WHERE id = ?`).pluck().get(id));
    db.close();
    expect(spans.every((n) => n > 0)).toBe(true);
    expect(hashes).toEqual(contents.map((c) => createHash('sha256').update(c).digest('hex')));

    // The worker writes the redacted copy to the bucket too, and the API serves it from there.
    const redaction = await getJson(`${stack.base}/v1/log-files/${fileIds[0]}/redactions`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ all: true }),
    });
    expect(redaction.status).toBe(202);
    await waitFor(
      async () =>
        (await getJson(`${stack.base}/v1/log-files/${fileIds[0]}/redactions/${redaction.body.id}`, { headers: auth })).body.state ===
        'done',
      60_000,
      () => 'the redaction never finished',
    );
    const redacted = Buffer.from(
      await (await fetch(`${stack.base}/v1/log-files/${fileIds[0]}/content?variant=redacted`, { headers: auth })).arrayBuffer(),
    );
    expect([redacted.includes(Buffer.from('order failed for ')), redacted.includes(Buffer.from(SECRET))]).toEqual([true, false]);

    expect(await inBucket('live/')).toEqual(referenced(stack.dataDir));
    const stored = s3.storedFiles();
    expect(stored.some((f) => f.bytes.length > 11 * 1024 * 1024)).toBe(true);
    expect(stored.filter((f) => f.bytes.includes(Buffer.from(SECRET))).map((f) => f.path)).toEqual([]);
    const local = readdirSync(join(stack.dataDir), { recursive: true }) as string[];
    expect(local.filter((p) => p.endsWith('.blob'))).toEqual([]);
  }, 240_000);

  it('answers 503 and commits nothing when the store drops an upload midway', async () => {
    const before = referenced(stack.dataDir);
    s3.cutAfter(1024 * 1024);
    let refused;
    try {
      refused = await upload(issueId, 'cut.log', logText(12 * 1024 * 1024));
    } finally {
      s3.cutAfter(0);
    }
    expect([refused.status, refused.body.error?.code]).toEqual([503, 'STORAGE_UNAVAILABLE']);
    expect(refused.retryAfter).toMatch(/^[1-9][0-9]*$/);
    expect(referenced(stack.dataDir)).toEqual(before);
    expect(await inBucket('live/')).toEqual(before);
  }, 120_000);

  it('verifies, backs up, restores into another prefix and purges, all against the bucket', async () => {
    const live = referenced(stack.dataDir);
    const verify = await tftsr(['db', 'verify'], stack.dataDir, 'live/');
    expect(verify.output).toContain(`stored files: ${live.length} of ${live.length} present, intact and matching their rows`);
    expect(verify.code).toBe(0);

    // A byte flipped in the store's own copy is found by verify.
    const objectFile = s3.objectFile(`live/${live[0]}`);
    const good = readFileSync(objectFile);
    const bad = Buffer.from(good);
    bad[200] ^= 1;
    writeFileSync(objectFile, bad);
    const damaged = await tftsr(['db', 'verify'], stack.dataDir, 'live/');
    writeFileSync(objectFile, good);
    expect(damaged.output).toContain(`${live[0]} fails authentication`);
    expect(damaged.code).toBe(1);

    const dest = join(scratch.dir, 'backup');
    const backup = await tftsr(['db', 'backup', dest], stack.dataDir, 'live/');
    expect(backup.code).toBe(0);
    const manifest = JSON.parse(readFileSync(join(dest, 'manifest.json'), 'utf8')) as {
      blobs: { path: string }[];
      missing_blobs: string[];
    };
    expect([manifest.blobs.map((b) => b.path).sort(), manifest.missing_blobs]).toEqual([live, []]);
    expect(manifest.blobs.every((b) => !readFileSync(join(dest, b.path)).includes(Buffer.from(SECRET)))).toBe(true);

    // A bucket prefix that already holds blobs is not restored into without --force.
    const refused = await tftsr(['db', 'restore', dest], join(scratch.dir, 'elsewhere'), 'live/');
    expect(refused.output).toMatch(/already holds a database or stored files/);
    expect(refused.code).toBe(1);

    const target = join(scratch.dir, 'restored');
    const restore = await tftsr(['db', 'restore', dest], target, 'restored/');
    expect(restore.output).toContain(`stored files: ${live.length} of ${live.length} present, intact and matching their rows`);
    expect(restore.code).toBe(0);
    expect(await inBucket('restored/')).toEqual(live);
    expect(readdirSync(target)).not.toContain('blobs');
    expect((await tftsr(['db', 'verify'], target, 'restored/')).code).toBe(0);

    // Purge on the restored copy: the issue's objects leave the bucket; the live prefix is untouched.
    const db = openDatabase({ path: join(target, 'tftsr.db'), key: TEST_KEY });
    db.prepare(`UPDATE issues SET updated_at = '2001-01-01 00:00:00' WHERE id = ?`).run(issueId);
    db.close();
    const purge = await tftsr(['issues', 'purge', '--older-than', '30'], target, 'restored/');
    expect(purge.output).toContain(`purged 1 issue(s) and ${live.length} stored file(s)`);
    expect(purge.code).toBe(0);
    expect(await inBucket('restored/')).toEqual([]);
    expect(await inBucket('live/')).toEqual(live);
  }, 240_000);
});
