import type { Job } from 'bullmq';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  AuditLogRepository,
  Db,
  deriveKey,
  LogFileProcessingRepository,
  newId,
  openAndMigrate,
  OutboxRepository,
  toDbTimestamp,
  transaction,
} from '../../libs/db/src';
import { scanBuffer } from '../../libs/pii/src';
import { BlobStore } from '../../libs/storage/src';
import { HasherService } from '../../apps/worker/src/hasher.service';
import { IngestProcessor } from '../../apps/worker/src/ingest.processor';
import { PiiScanService } from '../../apps/worker/src/pii-scan.service';
import { RedactorService } from '../../apps/worker/src/redactor.service';
import { makeTempDir, TEST_KEY } from '../support/temp-dir';

/**
 * The ingest handlers against a real encrypted database and blob store. Real: SQLite, SQLCipher, the blob
 * store, the PII engine. Not here: BullMQ (a plain object stands in for the job; test/e2e runs the real queue).
 */
const quiet = { log: () => undefined, warn: () => undefined };
const LOG = [
  '2026-11-27T10:00:01Z app[412]: login ok user=jane.doe@example.org from 203.0.113.45',
  '2026-11-27T10:00:02Z app[412]: calling https://admin:s3cretP4ss@api.internal.example.com/v1',
  '2026-11-27T10:00:03Z app[412]: card 4111 1111 1111 1111 declined',
].join('\n');

function jobOf<T>(data: T, attemptsMade = 0): Job<T, unknown, never> {
  const progress: number[] = [];
  return { data, attemptsMade, opts: { attempts: 5 }, updateProgress: async (p: number) => void progress.push(p), progress } as unknown as Job<T, unknown, never>;
}

describe('ingest jobs', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let db: Db;
  let blobs: BlobStore;
  let sut: IngestProcessor;

  beforeEach(() => {
    temp = makeTempDir();
    db = openAndMigrate({ path: join(temp.dir, 'tftsr.db'), key: TEST_KEY }, quiet);
    blobs = new BlobStore(temp.dir, deriveKey(TEST_KEY, 'blob-encryption'));
    const audit = new AuditLogRepository(db, deriveKey(TEST_KEY, 'audit-hmac'));
    sut = new IngestProcessor(db, audit, new HasherService(blobs), new PiiScanService(db, blobs), new RedactorService(blobs));
  });
  afterEach(() => {
    db.close();
    temp.remove();
  });

  async function upload(content: string) {
    const stored = await blobs.write(Readable.from([Buffer.from(content)]));
    const outbox = new OutboxRepository(db);
    const now = toDbTimestamp();
    return transaction(db, () => {
      const issueId = newId();
      const fileId = newId();
      db.prepare(`INSERT INTO issues (id, title, severity, status, created_at, updated_at) VALUES (?, 't', 'high', 'open', ?, ?)`).run(issueId, now, now);
      db.prepare(`INSERT INTO log_files (id, issue_id, file_name, file_path, file_size, uploaded_at) VALUES (?, ?, 'app.log', ?, ?, ?)`).run(fileId, issueId, stored.path, stored.size, now);
      new LogFileProcessingRepository(db).create(fileId);
      const hash = outbox.add('ingest', 'hash', (id) => ({ outbox_id: id, log_file_id: fileId }));
      const scan = outbox.add('ingest', 'detect_pii', (id) => ({ outbox_id: id, log_file_id: fileId }));
      return { fileId, hash: { outbox_id: hash.id, log_file_id: fileId }, scan: { outbox_id: scan.id, log_file_id: fileId } };
    });
  }

  const count = (sql: string, ...args: unknown[]) => (db.prepare(sql).get(...args) as { n: number }).n;

  it('hash sets the SHA-256 of the original content and the real size, once, however often it runs', async () => {
    const { fileId, hash } = await upload(LOG);
    const first = await sut.handleHash(jobOf(hash));
    const second = await sut.handleHash(jobOf(hash));
    expect(first).toEqual({ content_hash: require('node:crypto').createHash('sha256').update(LOG).digest('hex'), file_size: Buffer.byteLength(LOG) });
    expect(second).toEqual({ skipped: true, reason: 'already done' });
    expect(db.prepare('SELECT content_hash, file_size FROM log_files WHERE id = ?').get(fileId)).toEqual(first);
    expect(count(`SELECT count(*) AS n FROM audit_log WHERE action = 'hash_log_file'`)).toBe(1);
  });

  it('detect_pii stores exactly the engine’s spans with original values, once, however often it runs', async () => {
    const { fileId, scan } = await upload(LOG);
    await sut.handleDetectPii(jobOf(scan));
    await sut.handleDetectPii(jobOf(scan));
    const stored = db.prepare('SELECT pii_type, start_offset, end_offset, original_value, replacement FROM pii_spans WHERE log_file_id = ? ORDER BY start_offset').all(fileId);
    const expected = scanBuffer(Buffer.from(LOG)).map((s) => ({ pii_type: s.pii_type, start_offset: s.start, end_offset: s.end, original_value: s.original.toString(), replacement: s.replacement }));
    expect(expected.length).toBeGreaterThanOrEqual(3);
    expect(stored).toEqual(expected);
    expect(count(`SELECT count(*) AS n FROM audit_log WHERE action = 'detect_pii'`)).toBe(1);
    expect(count('SELECT count(*) AS n FROM pii_span_staging')).toBe(0);
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
    db.prepare(`INSERT INTO settings (key, value, updated_at) VALUES ('pii.enabled_types', '["Email","IPv4"]', ?), ('pii.allow_list', '["203.0.113.45"]', ?)`).run(now, now);
    const { fileId, scan } = await upload(LOG);
    await sut.handleDetectPii(jobOf(scan));
    const spans = db.prepare('SELECT pii_type, original_value FROM pii_spans WHERE log_file_id = ?').all(fileId) as { pii_type: string; original_value: string }[];
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
    const fs = require('node:fs');
    const raw: Buffer = fs.readFileSync(join(temp.dir, file_path));
    raw[raw.length - 20] ^= 1;
    fs.writeFileSync(join(temp.dir, file_path), raw);
    await expect(sut.handleDetectPii(jobOf(scan, 0))).rejects.toThrow(/fails authentication/);
    expect(new LogFileProcessingRepository(db).get(fileId)?.scan_state).not.toBe('failed');
    await expect(sut.handleDetectPii(jobOf(scan, 4))).rejects.toThrow(/fails authentication/);
    expect(new LogFileProcessingRepository(db).get(fileId)).toMatchObject({ scan_state: 'failed', failure_reason: expect.stringMatching(/fails authentication/) });
    expect(new OutboxRepository(db).get(scan.outbox_id)?.state).toBe('failed');
  });
});
