import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Db, GroupCommit } from '@tftsr/db';
import { LogFileProcessingRepository, offLoopGroupCommit, OutboxRepository, toDbTimestamp, transaction } from '@tftsr/db';
import { loadConfig } from '@tftsr/config';
import { WorkerConfig } from '@tftsr/worker/config/worker.config';
import { PiiScanService } from '@tftsr/worker/pii-scan.service';
import { buildReviewIndex, ValueKeys } from '@tftsr/redaction';
import { TEST_KEY } from '../support/temp-dir';
import { scanBuffer } from '@tftsr/pii';
import type { IngestProcessor } from '@tftsr/worker/ingest.processor';
import { S3BlobStore } from '@tftsr/storage';
import type { RigStore } from '../support/ingest-rig';
import { FILESYSTEM_STORE, IngestRig, jobOf } from '../support/ingest-rig';
import type { TestS3 } from '../support/s3-server';
import { startTestS3 } from '../support/s3-server';

/**
 * The ingest handlers against a real encrypted database and blob store. Real: SQLite, SQLCipher, the blob
 * store (the filesystem, and an S3-compatible bucket served by s3rver), the PII engine. Not here: BullMQ (a plain
 * object stands in for the job; test/e2e runs the real queue).
 */
const LOG = [
  '2026-11-27T10:00:01Z app[412]: login ok user=jane.doe@example.org from 203.0.113.45',
  '2026-11-27T10:00:02Z app[412]: calling https://admin:s3cretP4ss@api.internal.example.com/v1',
  '2026-11-27T10:00:03Z app[412]: card 4111 1111 1111 1111 declined',
].join('\n');

let s3: TestS3;
let buckets = 0;
beforeAll(async () => {
  s3 = await startTestS3();
});
afterAll(() => s3.close());

describe.each([
  ['filesystem', () => FILESYSTEM_STORE],
  [
    'an S3 bucket',
    () => {
      // Each rig its own prefix, found again from the data directory's name.
      const prefixes = new Map<string, string>();
      return {
        open: (dir: string, key: Buffer) => {
          const prefix = `${dir.split('/').pop()}-${++buckets}/`;
          prefixes.set(dir, prefix);
          return new S3BlobStore(s3.settings(prefix), key);
        },
        rawFile: (dir: string, path: string) => s3.objectFile(`${prefixes.get(dir)}${path}`),
      } satisfies RigStore;
    },
  ],
])('ingest jobs, blobs on %s', (_name, storeFor) => {
  let rig: IngestRig;
  let db: Db;
  let sut: IngestProcessor;

  beforeEach(() => {
    rig = new IngestRig(storeFor());
    ({ db, sut } = rig);
  });
  afterEach(() => rig.close());

  const upload = (content: string) => rig.upload(content);
  const count = (sql: string, ...args: unknown[]) => rig.count(sql, ...args);

  it('hash waits for the scan, whose single read records the SHA-256 and the real size once, however often either runs', async () => {
    const { fileId, hash, scan } = await upload(LOG);
    const early = jobOf(hash);
    await expect(sut.handleHash(early)).rejects.toMatchObject({ name: 'DelayedError' });
    expect(early.delayedUntil).toBeGreaterThan(Date.now());
    expect(db.prepare('SELECT content_hash FROM log_files WHERE id = ?').get(fileId)).toEqual({ content_hash: null });

    await sut.handleDetectPii(jobOf(scan));
    await sut.handleDetectPii(jobOf(scan));
    expect(await sut.handleHash(jobOf(hash))).toEqual({ skipped: true, reason: 'already done' });
    expect(db.prepare('SELECT content_hash, file_size FROM log_files WHERE id = ?').get(fileId)).toEqual({
      content_hash: createHash('sha256').update(LOG).digest('hex'),
      file_size: Buffer.byteLength(LOG),
    });
    expect(new OutboxRepository(db).get(hash.outbox_id)?.state).toBe('done');
    expect(new LogFileProcessingRepository(db).get(fileId)).toMatchObject({ hash_state: 'done', scan_state: 'done' });
    expect(count(`SELECT count(*) AS n FROM audit_log WHERE action = 'hash_log_file'`)).toBe(1);
  });

  it('hash reads the file itself when no scan will, and sets its SHA-256 once, however often it runs', async () => {
    const { fileId, hash, scan } = await upload(LOG);
    transaction(db, () => new OutboxRepository(db).markFailed(scan.outbox_id, 'the scan failed for good'));
    const first = await sut.handleHash(jobOf(hash));
    const second = await sut.handleHash(jobOf(hash));
    expect(first).toEqual({ content_hash: createHash('sha256').update(LOG).digest('hex'), file_size: Buffer.byteLength(LOG) });
    expect(second).toEqual({ skipped: true, reason: 'already done' });
    expect(db.prepare('SELECT content_hash, file_size FROM log_files WHERE id = ?').get(fileId)).toEqual(first);
    expect(count(`SELECT count(*) AS n FROM audit_log WHERE action = 'hash_log_file'`)).toBe(1);
  });

  it('detect_pii stores exactly the engine’s spans with original values, once, however often it runs', async () => {
    const { fileId, scan } = await upload(LOG);
    await sut.handleDetectPii(jobOf(scan));
    await sut.handleDetectPii(jobOf(scan));
    const stored = db
      .prepare(
        'SELECT pii_type, start_offset, end_offset, original_value, replacement FROM pii_spans WHERE log_file_id = ? ORDER BY start_offset',
      )
      .all(fileId);
    const expected = scanBuffer(Buffer.from(LOG)).map((s) => ({
      pii_type: s.pii_type,
      start_offset: s.start,
      end_offset: s.end,
      original_value: s.original.toString(),
      replacement: s.replacement,
    }));
    expect(expected.length).toBeGreaterThanOrEqual(3);
    expect(stored).toEqual(expected);
    expect(count(`SELECT count(*) AS n FROM audit_log WHERE action = 'detect_pii'`)).toBe(1);
    expect(count('SELECT count(*) AS n FROM pii_scan_runs')).toBe(0);
    expect(new LogFileProcessingRepository(db).get(fileId)).toMatchObject({ scan_state: 'done', scan_progress: 100 });
  });

  it('a run that overlaps a finished one leaves the single complete set of spans in place', async () => {
    const { fileId, scan } = await upload(LOG);
    // Two runs of the same job at once (a stalled lock makes BullMQ do this): only one may swap its spans in.
    const [a, b] = await Promise.all([sut.handleDetectPii(jobOf(scan)), sut.handleDetectPii(jobOf(scan))]);
    expect([a, b].filter((r) => 'skipped' in r)).toHaveLength(1);
    expect(count('SELECT count(*) AS n FROM pii_spans WHERE log_file_id = ?', fileId)).toBe(scanBuffer(Buffer.from(LOG)).length);
    expect(count(`SELECT count(*) AS n FROM audit_log WHERE action = 'detect_pii'`)).toBe(1);
  });

  it('honours the enabled types and the allow-list from settings', async () => {
    const now = toDbTimestamp();
    db.prepare(
      `INSERT INTO settings (key, value, updated_at) VALUES ('pii.enabled_types', '["Email","IPv4"]', ?), ('pii.allow_list', '["203.0.113.45"]', ?)`,
    ).run(now, now);
    const { fileId, scan } = await upload(LOG);
    await sut.handleDetectPii(jobOf(scan));
    const spans = db.prepare('SELECT pii_type, original_value FROM pii_spans WHERE log_file_id = ?').all(fileId) as {
      pii_type: string;
      original_value: string;
    }[];
    expect(new Set(spans.map((s) => s.pii_type))).toEqual(new Set(['Email']));
    expect(spans).toContainEqual({ pii_type: 'Email', original_value: 'jane.doe@example.org' });
    expect(spans.map((s) => s.original_value)).not.toContain('203.0.113.45');
  });

  it('skips a job whose log file was deleted since, and marks its outbox row done', async () => {
    const { fileId, hash } = await upload(LOG);
    db.prepare('DELETE FROM log_files WHERE id = ?').run(fileId);
    expect(await sut.handleHash(jobOf(hash))).toEqual({ skipped: true, reason: 'the log file no longer exists' });
    expect(new OutboxRepository(db).get(hash.outbox_id)?.state).toBe('done');
  });

  it('records the reason when the last attempt fails: a damaged blob shows as failed, not pending forever', async () => {
    const { fileId, scan } = await upload(LOG);
    const { file_path } = db.prepare('SELECT file_path FROM log_files WHERE id = ?').get(fileId) as { file_path: string };
    const raw: Buffer = readFileSync(rig.rawFile(file_path));
    raw[raw.length - 20] ^= 1;
    writeFileSync(rig.rawFile(file_path), raw);
    await expect(sut.handleDetectPii(jobOf(scan, 0))).rejects.toThrow(/fails authentication/);
    expect(new LogFileProcessingRepository(db).get(fileId)?.scan_state).not.toBe('failed');
    await expect(sut.handleDetectPii(jobOf(scan, 4))).rejects.toThrow(/fails authentication/);
    expect(new LogFileProcessingRepository(db).get(fileId)).toMatchObject({
      scan_state: 'failed',
      failure_reason: expect.stringMatching(/fails authentication/),
    });
    expect(new OutboxRepository(db).get(scan.outbox_id)?.state).toBe('failed');
  });
});

describe('ingest jobs in flight together (issue 17)', () => {
  let rig: IngestRig;
  afterEach(() => {
    jest.restoreAllMocks();
    rig?.close();
  });

  it('small files scanned together share their finishing commit, and their review indexes share another', async () => {
    // A window longer than the test: a commit goes only once every job announced has submitted its unit.
    let group: GroupCommit | undefined;
    rig = new IngestRig(FILESYSTEM_STORE, undefined, (db) => ({ group: (group = offLoopGroupCommit(db, 60_000)) }));
    const files = await Promise.all(Array.from({ length: 6 }, (_, i) => rig.upload(`${LOG}\nfile ${i}`)));

    const results = await Promise.all(files.map((f) => rig.sut.handleDetectPii(jobOf(f.scan))));

    expect(results).toEqual(files.map(() => expect.objectContaining({ spans: expect.any(Number) })));
    expect(group?.stats).toEqual({ commits: 2, units: 12, lockRetries: 0 });
    for (const f of files) {
      expect(new LogFileProcessingRepository(rig.db).get(f.fileId)).toMatchObject({ hash_state: 'done', scan_state: 'done' });
      expect(rig.count(`SELECT count(*) AS n FROM pii_spans WHERE log_file_id = ?`, f.fileId)).toBeGreaterThan(0);
      expect(rig.count(`SELECT count(*) AS n FROM log_file_review WHERE log_file_id = ? AND indexed_at IS NOT NULL`, f.fileId)).toBe(1);
    }
    expect(rig.count(`SELECT count(*) AS n FROM audit_log WHERE action = 'detect_pii'`)).toBe(6);
  });

  it('a small file is read once for its hash, its spans and its review index, which matches one built from a fresh read', async () => {
    rig = new IngestRig();
    const multiLine = Array.from({ length: 600 }, (_, i) => `${LOG.split('\n')[i % 3]} #${i}`).join('\n');
    const file = await rig.upload(multiLine);
    const reads = jest.spyOn(rig.blobs, 'openRead');

    await rig.sut.handleDetectPii(jobOf(file.scan));

    expect(reads).toHaveBeenCalledTimes(1);
    const indexRows = () => [
      rig.db.prepare('SELECT span_id, value_id, line_number FROM pii_span_review WHERE log_file_id = ? ORDER BY span_id').all(file.fileId),
      rig.db.prepare('SELECT line_number, byte_start FROM log_file_line_index WHERE log_file_id = ? ORDER BY line_number').all(file.fileId),
    ];
    const fromScan = indexRows();
    expect(fromScan[0].length).toBe(rig.count('SELECT count(*) AS n FROM pii_spans WHERE log_file_id = ?', file.fileId));
    expect(fromScan[1].length).toBeGreaterThan(1);
    await buildReviewIndex(rig.db, rig.blobs, new ValueKeys(TEST_KEY), file.fileId, file.path);
    expect(reads).toHaveBeenCalledTimes(2);
    expect(indexRows()).toEqual(fromScan);
  });

  it('runs TFTSR_WORKER_CONCURRENCY jobs on large files at once, and small files beside them', async () => {
    const config = loadConfig(WorkerConfig, { TFTSR_WORKER_CONCURRENCY: '1' });
    rig = new IngestRig(FILESYSTEM_STORE, undefined, () => ({ config }));
    const large = `${LOG}\n`.repeat(Math.ceil((8 * 1024 * 1024) / (LOG.length + 1)));
    const files = [await rig.upload(large), await rig.upload(large), await rig.upload(LOG)];
    const running = { large: 0, small: 0 };
    const peak = { large: 0, both: 0 };
    const scan = PiiScanService.prototype.scan;
    // Observes the real scan (it still runs): how many of each size are under way at once. A small file's scan
    // (a few ms) starts once a large one is under way, or after 10 s: a large job first commits its `running`
    // state, so it may start after the small one ended. Small files queued behind the large files' slot would
    // only start when no large scan runs, and `both` would stay 0.
    jest.spyOn(PiiScanService.prototype, 'scan').mockImplementation(async function (this: PiiScanService, ...args) {
      const kind = args[2] >= 8 * 1024 * 1024 ? 'large' : 'small';
      for (const giveUpAt = Date.now() + 10_000; kind === 'small' && running.large === 0 && Date.now() < giveUpAt;)
        await new Promise((resolve) => setTimeout(resolve, 5));
      running[kind] += 1;
      peak.large = Math.max(peak.large, running.large);
      peak.both = Math.max(peak.both, running.large > 0 && running.small > 0 ? 1 : 0);
      try {
        return await scan.apply(this, args);
      } finally {
        running[kind] -= 1;
      }
    });

    await Promise.all(files.map((f) => rig.sut.handleDetectPii(jobOf(f.scan))));

    expect(peak).toEqual({ large: 1, both: 1 });
    expect(rig.count(`SELECT count(*) AS n FROM log_file_processing WHERE scan_state = 'done'`)).toBe(3);
  });
});
