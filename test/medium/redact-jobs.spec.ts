import { requestRedaction } from '../support/redaction-request';
import { UnrecoverableError } from 'bullmq';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import type { Db } from '@tftsr/db';
import { LogFileRedactionRepository, newId, OutboxRepository, PiiSpanRepository, RedactionRequestRepository } from '@tftsr/db';
import { scanBuffer } from '@tftsr/pii';
import type { BlobStore } from '@tftsr/storage';
import { HEADER_SIZE } from '@tftsr/storage';
import type { IngestProcessor } from '@tftsr/worker/ingest.processor';
import { IngestRig, jobOf as stub } from '../support/ingest-rig';

const jobOf = <T>(data: T, attemptsMade = 0) => stub(data, attemptsMade, 'redact');

/**
 * The redact handler against a real encrypted database and blob store. Real: SQLite, SQLCipher, the blob
 * store, the PII engine, the hash and detect_pii handlers that come first. Not here: BullMQ (a plain object
 * stands in for the job) and the API (requests are written as the API writes them; test/e2e covers the routes).
 */
const LOG = [
  '2026-11-27T10:00:01Z app[412]: login ok user=jane.doe@example.org from 203.0.113.45',
  '2026-11-27T10:00:02Z app[412]: calling https://admin:s3cretP4ss@api.internal.example.com/v1',
  '2026-11-27T10:00:03Z app[412]: card 4111 1111 1111 1111 declined, mail to ops@example.net',
].join('\n');

interface StoredSpan {
  id: string;
  pii_type: string;
  start_offset: number;
  end_offset: number;
  original_value: string;
}

describe('redact job', () => {
  let rig: IngestRig;
  let db: Db;
  let blobs: BlobStore;
  let sut: IngestProcessor;
  let temp: IngestRig['temp'];

  beforeEach(() => {
    rig = new IngestRig();
    ({ db, blobs, sut, temp } = rig);
  });
  afterEach(() => rig.close());

  /** An uploaded file, hashed and scanned by the real handlers. */
  async function readyFile(content = LOG) {
    const { fileId, path, hash, scan } = await rig.upload(content);
    await sut.handleDetectPii(jobOf(scan));
    await sut.handleHash(jobOf(hash));
    return { fileId, path, spans: spansOf(fileId) };
  }

  const spansOf = (fileId: string) =>
    db
      .prepare('SELECT id, pii_type, start_offset, end_offset, original_value FROM pii_spans WHERE log_file_id = ? ORDER BY start_offset')
      .all(fileId) as StoredSpan[];
  const count = (sql: string, ...args: unknown[]) => (db.prepare(sql).get(...args) as { n: number }).n;
  const blobFiles = () =>
    readdirSync(join(temp.dir, 'blobs'))
      .filter((d) => d !== 'tmp')
      .flatMap((d) => readdirSync(join(temp.dir, 'blobs', d)));
  const redactedContent = async (fileId: string) => buffer(blobs.openRead(new LogFileRedactionRepository(db).get(fileId)!.redacted_path));
  const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

  it('redacts once however often it runs: one copy, one row, one audit entry; original values stay until the file is finalized', async () => {
    const { fileId, spans } = await readyFile();
    expect(spans.length).toBeGreaterThanOrEqual(4);
    const job = requestRedaction(db, fileId, null);
    const blobsBefore = blobFiles().length;

    const first = await sut.handleRedact(jobOf(job));
    const second = await sut.handleRedact(jobOf(job));

    expect(first).toMatchObject({ span_count: spans.length });
    expect(second).toEqual({ skipped: true, reason: 'already done' });
    expect(blobFiles()).toHaveLength(blobsBefore + 1);
    expect(db.prepare('SELECT redacted FROM log_files WHERE id = ?').get(fileId)).toEqual({ redacted: 1 });
    expect(spansOf(fileId).map((s) => s.original_value)).toEqual(spans.map((s) => s.original_value));
    expect(new RedactionRequestRepository(db).get(job.redaction_request_id)).toMatchObject({ state: 'done', failure_reason: null });
    expect(new OutboxRepository(db).get(job.outbox_id)?.state).toBe('done');
    const audits = db.prepare(`SELECT user_id, details FROM audit_log WHERE action = 'apply_redactions'`).all() as {
      user_id: string;
      details: string;
    }[];
    expect(audits).toHaveLength(1);
    const redacted = await redactedContent(fileId);
    const counts: Record<string, number> = {};
    for (const s of spans) counts[s.pii_type] = (counts[s.pii_type] ?? 0) + 1;
    expect(audits[0].user_id).toBe('reviewer-key');
    expect(JSON.parse(audits[0].details)).toMatchObject({
      original_sha256: sha256(LOG),
      redacted_sha256: sha256(redacted),
      span_count: spans.length,
      counts_by_type: counts,
    });
    // The audit holds hashes and counts, never a value.
    for (const s of spans) expect(audits[0].details).not.toContain(s.original_value);
  });

  it('leaves no byte of an approved span in the redacted copy: the engine finds none of them again', async () => {
    const { fileId, spans } = await readyFile();
    await sut.handleRedact(jobOf(requestRedaction(db, fileId, null)));
    const redacted = await redactedContent(fileId);
    for (const s of spans)
      expect({ value: s.original_value, found: redacted.includes(Buffer.from(s.original_value)) }).toEqual({
        value: s.original_value,
        found: false,
      });
    const rescanned = scanBuffer(redacted).map((s) => s.original.toString());
    expect(rescanned.filter((v) => spans.some((s) => s.original_value.includes(v) || v.includes(s.original_value)))).toEqual([]);
  });

  it('redacts every span for a legacy approval of one span (issue 12: the rest stayed in clear), and wipes nothing', async () => {
    const { fileId, spans } = await readyFile();
    const email = spans.find((s) => s.original_value === 'jane.doe@example.org')!;
    await sut.handleRedact(jobOf(requestRedaction(db, fileId, [email.id])));
    const redacted = (await redactedContent(fileId)).toString();
    for (const s of spans) expect(redacted).not.toContain(s.original_value);
    expect(spansOf(fileId).every((s) => s.original_value !== '')).toBe(true);
    expect(new LogFileRedactionRepository(db).get(fileId)).toMatchObject({ span_count: spans.length, version: 1 });
  });

  it('hides the whole of overlapping approved spans (the desktop app showed the rest of the second)', async () => {
    const { fileId } = await readyFile('token=abcdefghijklmnop end');
    const insert = db.prepare(
      `INSERT INTO pii_spans (id, log_file_id, pii_type, start_offset, end_offset, original_value, replacement) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    db.prepare('DELETE FROM pii_spans WHERE log_file_id = ?').run(fileId);
    const a = newId();
    const b = newId();
    insert.run(a, fileId, 'Password', 6, 14, 'abcdefgh', '[Password]');
    insert.run(b, fileId, 'ApiKey', 10, 22, 'efghijklmnop', '[ApiKey]');
    await sut.handleRedact(jobOf(requestRedaction(db, fileId, [a, b])));
    expect((await redactedContent(fileId)).toString()).toBe('token=[ApiKey] end');
  });

  it('pages through more spans than fit in one page, and misses none', async () => {
    const lines = Array.from({ length: 5200 }, (_, i) => `2026-11-27T10:00:01Z login ok user=user${i}@example.org`);
    const { fileId, spans } = await readyFile(lines.join('\n'));
    expect(spans.length).toBe(5200);
    const paged = [...new PiiSpanRepository(db).iterateRedactable(fileId, null, 7)].map((s) => s.id);
    expect(paged).toEqual(spans.map((s) => s.id));
    await sut.handleRedact(jobOf(requestRedaction(db, fileId, null)));
    const redacted = (await redactedContent(fileId)).toString();
    expect(redacted.split('\n').every((line) => line.endsWith('user=[Email]'))).toBe(true);
    expect(new LogFileRedactionRepository(db).get(fileId)).toMatchObject({ span_count: 5200, counts_by_type: '{"Email":5200}' });
  });

  it('keeps only the winner’s copy when two runs of the same job overlap', async () => {
    const { fileId } = await readyFile();
    const job = requestRedaction(db, fileId, null);
    const blobsBefore = blobFiles().length;
    const results = await Promise.all([sut.handleRedact(jobOf(job)), sut.handleRedact(jobOf(job))]);
    expect(results.filter((r) => 'skipped' in r)).toHaveLength(1);
    expect(blobFiles()).toHaveLength(blobsBefore + 1);
    expect(count(`SELECT count(*) AS n FROM audit_log WHERE action = 'apply_redactions'`)).toBe(1);
    expect(count('SELECT count(*) AS n FROM log_file_redactions')).toBe(1);
  });

  it('fails for good on a tampered original: the request says why, the file stays unredacted, nothing is written', async () => {
    const { fileId, path } = await readyFile();
    const raw = readFileSync(join(temp.dir, path));
    raw[HEADER_SIZE + 5] ^= 1;
    writeFileSync(join(temp.dir, path), raw);
    const job = requestRedaction(db, fileId, null);
    const blobsBefore = blobFiles().length;

    await expect(sut.handleRedact(jobOf(job, 0))).rejects.toBeInstanceOf(UnrecoverableError);

    expect(blobFiles()).toHaveLength(blobsBefore);
    expect(new RedactionRequestRepository(db).get(job.redaction_request_id)).toMatchObject({
      state: 'failed',
      failure_reason: expect.stringMatching(/fails authentication/),
    });
    expect(new OutboxRepository(db).get(job.outbox_id)?.state).toBe('failed');
    expect(db.prepare('SELECT redacted FROM log_files WHERE id = ?').get(fileId)).toEqual({ redacted: 0 });
    expect(spansOf(fileId).every((s) => s.original_value !== '')).toBe(true);
    expect(count(`SELECT count(*) AS n FROM audit_log WHERE action = 'apply_redactions_failed' AND user_id = 'reviewer-key'`)).toBe(1);
  });

  it('still redacts every span when a span named by a legacy approval disappeared since (the file was scanned again)', async () => {
    const { fileId, spans } = await readyFile();
    const job = requestRedaction(db, fileId, [spans[0].id]);
    db.prepare('DELETE FROM pii_spans WHERE id = ?').run(spans[0].id);
    await sut.handleRedact(jobOf(job));
    expect(new RedactionRequestRepository(db).get(job.redaction_request_id)?.state).toBe('done');
    const redacted = (await redactedContent(fileId)).toString();
    for (const s of spans.slice(1)) expect(redacted).not.toContain(s.original_value);
  });

  it('skips a job whose log file was deleted since, and marks its outbox row done', async () => {
    const { fileId } = await readyFile();
    const job = requestRedaction(db, fileId, null);
    db.prepare('DELETE FROM log_files WHERE id = ?').run(fileId);
    expect(await sut.handleRedact(jobOf(job))).toEqual({ skipped: true, reason: 'the log file no longer exists' });
    expect(new OutboxRepository(db).get(job.outbox_id)?.state).toBe('done');
  });
});
