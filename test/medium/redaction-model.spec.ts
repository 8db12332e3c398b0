import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { Db, PiiDecision } from '@tftsr/db';
import {
  LogFileRedactionRepository,
  newId,
  OutboxRepository,
  LogFileLineIndexRepository,
  PiiDecisionRepository,
  PiiFileValueRepository,
  PiiReviewRepository,
  PiiSpanRepository,
  RedactionRequestRepository,
  toDbTimestamp,
  transaction,
} from '@tftsr/db';
import type { BlobStore } from '@tftsr/storage';
import type { IngestProcessor } from '@tftsr/worker/ingest.processor';
import { IngestRig, jobOf as stub } from '../support/ingest-rig';
import { retentionSweeperFor } from '../support/worker-parts';

const jobOf = <T>(data: T) => stub(data, 0, 'redact');

/**
 * The redaction model of issue 12 against a real encrypted database and blob store, with the real detect_pii
 * (which builds the review index) and the real redact handler. Decisions are written with the repository the
 * API uses; BullMQ and HTTP are not involved (test/e2e covers them).
 */
const LOG = [
  '2026-11-27T10:00:01Z app[412]: login ok user=jane.doe@example.org from 203.0.113.45',
  '2026-11-27T10:00:02Z app[412]: calling https://admin:s3cretP4ss@api.internal.example.com/v1 from 203.0.113.45',
  '2026-11-27T10:00:03Z app[412]: card 4111 1111 1111 1111 declined, mail to ops@example.net',
  '2026-11-27T10:00:04Z app[412]: aws_access_key_id=AKIAQWERTYUIOPASDFGH region=eu-west-1 ssn 123-45-6789',
  '2026-11-27T10:00:05Z app[412]: retry from 198.51.100.7 then 203.0.113.45 user=jane.doe@example.org',
  '2026-11-27T10:00:06Z app[412]: password=Hunter2Hunter2! for ops@example.net from 198.51.100.7',
].join('\n');

interface Span {
  id: string;
  pii_type: string;
  start_offset: number;
  end_offset: number;
  original_value: string;
  value_id: string;
}

describe('redaction model (issue 12)', () => {
  let rig: IngestRig;
  let db: Db;
  let blobs: BlobStore;
  let sut: IngestProcessor;
  let review: PiiReviewRepository;
  let decisionRepo: PiiDecisionRepository;
  let valueRepo: PiiFileValueRepository;

  beforeEach(() => {
    rig = new IngestRig();
    ({ db, blobs, sut } = rig);
    review = new PiiReviewRepository(db);
    decisionRepo = new PiiDecisionRepository(db);
    valueRepo = new PiiFileValueRepository(db);
  });
  afterEach(() => rig.close());

  async function readyFile(content = LOG) {
    const { fileId, hash, scan } = await rig.upload(content);
    await sut.handleDetectPii(stub(scan));
    await sut.handleHash(stub(hash));
    return { fileId, issueId: issueOf(fileId), spans: spansOf(fileId) };
  }
  const issueOf = (fileId: string) =>
    (db.prepare('SELECT issue_id FROM log_files WHERE id = ?').get(fileId) as { issue_id: string }).issue_id;
  const spansOf = (fileId: string) =>
    db
      .prepare(
        `SELECT s.id, s.pii_type, s.start_offset, s.end_offset, s.original_value, r.value_id FROM pii_spans s
         JOIN pii_span_review r ON r.span_id = s.id WHERE s.log_file_id = ? ORDER BY s.start_offset`,
      )
      .all(fileId) as Span[];

  /** A request and its outbox row, as RedactionsService writes them. */
  function requestRedaction(fileId: string, spanIds: string[] | null = null, finalize = 0) {
    return transaction(db, () => {
      const id = newId();
      new RedactionRequestRepository(db).insert({
        id,
        log_file_id: fileId,
        span_ids: spanIds === null ? null : JSON.stringify([...spanIds].sort()),
        requested_by: 'reviewer-key',
        state: 'pending',
        failure_reason: null,
        created_at: toDbTimestamp(),
        finished_at: null,
        finalize,
      });
      const row = new OutboxRepository(db).add('redact', (outbox_id) => ({ outbox_id, log_file_id: fileId, redaction_request_id: id }));
      return { outbox_id: row.id, log_file_id: fileId, redaction_request_id: id };
    });
  }
  const redactNow = async (fileId: string, spanIds: string[] | null = null, finalize = 0) => {
    const result = await sut.handleRedact(jobOf(requestRedaction(fileId, spanIds, finalize)));
    expect(result).not.toHaveProperty('skipped');
    return (await buffer(blobs.openRead(new LogFileRedactionRepository(db).get(fileId)!.redacted_path))).toString();
  };
  /** As the decisions endpoint writes them: the decision, then decisions_rev bumped, in one transaction. */
  const decide = (fileId: string, f: (r: PiiDecisionRepository) => void) =>
    transaction(db, () => {
      f(decisionRepo);
      review.bumpRev(fileId);
    });
  const clearDecisions = (fileId: string) =>
    transaction(db, () => {
      db.prepare('DELETE FROM pii_file_decisions WHERE log_file_id = ?').run(fileId);
      db.prepare('UPDATE pii_span_review SET decision = NULL WHERE log_file_id = ?').run(fileId);
      review.bumpRev(fileId);
    });

  it('indexes every detected span: a value id per distinct (type, value), its line, and one row per value', async () => {
    const { fileId, spans } = await readyFile();
    const ip = spans.filter((s) => s.original_value === '203.0.113.45');
    expect(ip).toHaveLength(3);
    expect(new Set(ip.map((s) => s.value_id)).size).toBe(1);
    const lines = db
      .prepare('SELECT line_number FROM pii_span_review WHERE span_id IN (SELECT value FROM json_each(?)) ORDER BY line_number')
      .all(JSON.stringify(ip.map((s) => s.id)));
    expect(lines).toEqual([{ line_number: 1 }, { line_number: 2 }, { line_number: 5 }]);
    const value = valueRepo.valuesById(fileId, [ip[0].value_id])[0];
    expect(value).toMatchObject({ pii_type: 'IPv4', span_count: 3, first_line: 1 });
    expect(value.masked).not.toContain('203.0.113.45');
    expect(review.find(fileId)).toMatchObject({ total_lines: 6 });
    expect(ip[0].value_id).not.toContain('203');
  });

  it('numbers the line of every span right across chunk boundaries, and indexes line starts every 256 lines', async () => {
    const lines = Array.from(
      { length: 3000 },
      (_, i) => `2026-11-27T10:00:01Z ${'pad '.repeat(i % 17)}login user=user${i}@example.org${i % 3 === 0 ? ' from 10.0.0.1' : ''}`,
    );
    const { fileId } = await readyFile(lines.join('\n'));
    const rows = db
      .prepare(
        `SELECT s.original_value, r.line_number FROM pii_spans s JOIN pii_span_review r ON r.span_id = s.id WHERE s.log_file_id = ? AND s.pii_type = 'Email' ORDER BY s.start_offset`,
      )
      .all(fileId) as { original_value: string; line_number: number }[];
    expect(rows.map((r) => r.line_number)).toEqual(lines.map((_, i) => i + 1));
    expect(rows.map((r) => r.original_value)).toEqual(lines.map((_, i) => `user${i}@example.org`));
    const cp = new LogFileLineIndexRepository(db).checkpoint(fileId, 2900)!;
    expect(cp.line_number).toBe(2817);
    expect(cp.byte_start).toBe(
      Buffer.byteLength(
        lines
          .slice(0, 2816)
          .map((l) => `${l}\n`)
          .join(''),
      ),
    );
    expect(review.find(fileId)?.total_lines).toBe(3000);
    const ip = valueRepo.listValues(fileId, issueOf(fileId), { type: 'IPv4', limit: 10 });
    expect(ip).toEqual([expect.objectContaining({ span_count: 1000, first_line: 1, decision: null })]);
    // The values are aggregated a batch at a time: small batches give the same rows.
    const all = () => db.prepare('SELECT * FROM pii_file_values WHERE log_file_id = ? ORDER BY value_id').all(fileId);
    const built = all();
    expect(built).toHaveLength(3001);
    db.prepare('DELETE FROM pii_file_values WHERE log_file_id = ?').run(fileId);
    let batches = 0;
    for (let after: string | null = ''; after !== null; batches++) after = review.aggregateValues(fileId, after, 7);
    expect(batches).toBe(Math.ceil(3001 / 7));
    expect(all()).toEqual(built);
  });

  it('never leaves in the redacted copy a detected value that was not explicitly kept, for any set of decisions', async () => {
    const { fileId, spans } = await readyFile();
    const valueIds = [...new Set(spans.map((s) => s.value_id))];
    const decision = fc.constantFrom<PiiDecision | null>('keep', 'redact', null);
    const decisions = fc.record({
      values: fc.array(decision, { minLength: valueIds.length, maxLength: valueIds.length }),
      spans: fc.array(decision, { minLength: spans.length, maxLength: spans.length }),
      legacy: fc.constantFrom<'none' | 'all' | 'some'>('none', 'all', 'some'),
    });
    await fc.assert(
      fc.asyncProperty(decisions, async ({ values, spans: own, legacy }) => {
        clearDecisions(fileId);
        decide(fileId, (r) => {
          valueIds.forEach((v, i) => values[i] && r.decideValue({ logFileId: fileId }, v, values[i], 'reviewer-key'));
          spans.forEach((s, i) => own[i] && r.decideSpan(s.id, own[i]));
        });
        const legacyIds = legacy === 'some' ? [spans[0].id] : null;
        const redacted = await redactNow(fileId, legacyIds);
        // The model: a span's own decision, else its value's, else redact.
        const kept = spans
          .filter((s, i) => (own[i] ?? values[valueIds.indexOf(s.value_id)] ?? 'redact') === 'keep')
          .map((s) => s.original_value);
        for (const s of spans) {
          if (kept.some((k) => k.includes(s.original_value))) continue;
          expect({ value: s.original_value, leaked: redacted.includes(s.original_value) }).toEqual({
            value: s.original_value,
            leaked: false,
          });
        }
      }),
      { numRuns: 30 },
    );
    // Thirty applies, thirty versions, each replacing the last: one redacted blob remains.
    expect(new LogFileRedactionRepository(db).get(fileId)?.version).toBe(30);
  });

  it('writes a new version when a decision changes, and removes the previous copy', async () => {
    const { fileId, spans } = await readyFile();
    const ip = spans.find((s) => s.original_value === '203.0.113.45')!;
    const first = await redactNow(fileId);
    const v1 = new LogFileRedactionRepository(db).get(fileId)!;
    expect(first).not.toContain('203.0.113.45');
    decide(fileId, (r) => r.decideValue({ logFileId: fileId }, ip.value_id, 'keep', 'reviewer-key'));
    const second = await redactNow(fileId);
    expect(second.split('203.0.113.45')).toHaveLength(4);
    expect(new LogFileRedactionRepository(db).get(fileId)).toMatchObject({ version: 2 });
    expect(await blobs.exists(v1.redacted_path)).toBe(false);
    // A per-span override wins over the value's decision.
    decide(fileId, (r) => r.decideSpan(ip.id, 'redact'));
    const third = await redactNow(fileId);
    expect(third.split('203.0.113.45')).toHaveLength(3);
    expect(third.split('\n')[0]).toContain('from [IPv4]');
  });

  it('starts over when the decisions change while the copy is being written', async () => {
    const { fileId, spans } = await readyFile();
    const ip = spans.find((s) => s.original_value === '203.0.113.45')!;
    const job = requestRedaction(fileId);
    let changed = false;
    const original = rig.blobs.write.bind(rig.blobs);
    jest.spyOn(rig.blobs, 'write').mockImplementation(async (...args) => {
      const stored = await original(...args);
      if (!changed) {
        changed = true;
        decide(fileId, (r) => r.decideValue({ logFileId: fileId }, ip.value_id, 'keep', 'reviewer-key'));
      }
      return stored;
    });
    await sut.handleRedact(jobOf(job));
    const row = new LogFileRedactionRepository(db).get(fileId)!;
    expect(row).toMatchObject({ version: 1, decisions_rev: review.find(fileId)!.decisions_rev });
    expect((await buffer(blobs.openRead(row.redacted_path))).toString()).toContain('203.0.113.45');
  });

  it('finalizes: writes the final version, wipes every original value, and says so; wiped is true only then', async () => {
    const { fileId } = await readyFile();
    await redactNow(fileId);
    expect(rig.count(`SELECT count(*) AS n FROM pii_spans WHERE log_file_id = ? AND original_value = ''`, fileId)).toBe(0);
    await redactNow(fileId, null, 1);
    expect(rig.count(`SELECT count(*) AS n FROM pii_spans WHERE log_file_id = ? AND original_value <> ''`, fileId)).toBe(0);
    expect(review.find(fileId)?.finalized_at).not.toBeNull();
    const audit = db.prepare(`SELECT details FROM audit_log WHERE action = 'finalize_log_file'`).get() as { details: string };
    expect(JSON.parse(audit.details)).toMatchObject({ version: 2, wiped_values: spansOf(fileId).length, original_blob_removed: false });
    // A redaction after finalization fails for good, and leaves the final copy as it was.
    const after = requestRedaction(fileId);
    await expect(sut.handleRedact(jobOf(after))).rejects.toThrow(/finalized/);
    expect(new LogFileRedactionRepository(db).get(fileId)?.version).toBe(2);
  });

  it('removes the original blob on finalizing when pii.wipe_original_blob is true', async () => {
    const { fileId } = await readyFile();
    db.prepare(`INSERT INTO settings (key, value, updated_at) VALUES ('pii.wipe_original_blob', 'true', ?)`).run(toDbTimestamp());
    const path = (db.prepare('SELECT file_path FROM log_files WHERE id = ?').get(fileId) as { file_path: string }).file_path;
    await redactNow(fileId, null, 1);
    expect(await blobs.exists(path)).toBe(false);
    expect(await blobs.exists(new LogFileRedactionRepository(db).get(fileId)!.redacted_path)).toBe(true);
  });

  it('pseudonymises: the same value gets the same token in every file of the issue and in every re-redaction', async () => {
    db.prepare(`INSERT INTO settings (key, value, updated_at) VALUES ('pii.replacement_style', '"pseudonym"', ?)`).run(toDbTimestamp());
    const { fileId } = await readyFile();
    const first = await redactNow(fileId);
    const tokens = (text: string) => text.match(/\[[A-Za-z]+-\d+\]/g) ?? [];
    const lines = first.split('\n');
    const ipToken = lines[0].match(/from (\[IPv4-\d+\])/)![1];
    expect(lines[1]).toContain(`from ${ipToken}`);
    expect(lines[4]).toContain(`then ${ipToken}`);
    expect(lines[4]).toMatch(/retry from \[IPv4-\d+\]/);
    expect(lines[4]).not.toContain(`retry from ${ipToken}`);
    expect(first).not.toContain('203.0.113.45');
    const second = await redactNow(fileId);
    expect(tokens(second)).toEqual(tokens(first));
    // Another file of the same issue: the same value, the same number.
    const issueId = issueOf(fileId);
    const other = await rig.upload('2026-11-28T09:00:00Z db: connection from 203.0.113.45 refused');
    db.prepare('UPDATE log_files SET issue_id = ? WHERE id = ?').run(issueId, other.fileId);
    await sut.handleDetectPii(stub(other.scan));
    await sut.handleHash(stub(other.hash));
    expect(await redactNow(other.fileId)).toContain(`from ${ipToken} refused`);
  });

  it("writes a custom rule's replacement in both replacement styles, and pseudonyms for the built-in types", async () => {
    const rules = [{ name: 'region', pattern: 'eu-west-[0-9]', replacement: '<REGION>' }];
    db.prepare(`INSERT INTO settings (key, value, updated_at) VALUES ('pii.custom_rules', ?, ?)`).run(
      JSON.stringify(rules),
      toDbTimestamp(),
    );
    const { fileId } = await readyFile();
    const typed = await redactNow(fileId);
    expect(typed.split('\n')[3]).toContain('region=<REGION>');
    db.prepare(`INSERT INTO settings (key, value, updated_at) VALUES ('pii.replacement_style', '"pseudonym"', ?)`).run(toDbTimestamp());
    const pseudonymised = (await redactNow(fileId)).split('\n');
    expect(pseudonymised[3]).toContain('region=<REGION>');
    expect(pseudonymised.join('\n')).not.toMatch(/\[Custom/);
    expect(pseudonymised[0]).toMatch(/from \[IPv4-\d+\]/);
  });

  it('keeps manual spans, their review rows and their redaction when detect_pii runs again for the file', async () => {
    const { fileId } = await readyFile();
    const literal = 'eu-west-1';
    const start = Buffer.byteLength(LOG.slice(0, LOG.indexOf(literal)));
    // As POST /v1/log-files/:id/manual-spans writes one: the span, its review row (source manual), its value.
    const manualId = transaction(db, () => {
      const id = new PiiSpanRepository(db).insert(fileId, {
        pii_type: 'manual',
        start_offset: start,
        end_offset: start + literal.length,
        original_value: literal,
        replacement: '[manual]',
      });
      const valueId = newId();
      review.insertSpanReviews([{ span_id: id, log_file_id: fileId, value_id: valueId, line_number: 4, source: 'manual' }]);
      review.addToValue(fileId, { value_id: valueId, pii_type: 'manual', masked: '[manual]', span_count: 1, first_line: 4 });
      review.bumpRev(fileId);
      return id;
    });
    expect(await redactNow(fileId)).not.toContain(literal);
    const detected = spansOf(fileId).filter((s) => s.id !== manualId).length;
    // The same file scanned again (a new outbox row, as a rescan writes it).
    const rescan = transaction(db, () => new OutboxRepository(db).add('detect_pii', (outbox_id) => ({ outbox_id, log_file_id: fileId })));
    expect(await sut.handleDetectPii(stub({ outbox_id: rescan.id, log_file_id: fileId }))).not.toHaveProperty('skipped');
    const after = spansOf(fileId);
    expect(after.filter((s) => s.id !== manualId)).toHaveLength(detected);
    expect(after.find((s) => s.id === manualId)).toMatchObject({ pii_type: 'manual', start_offset: start, original_value: literal });
    expect(db.prepare('SELECT source, line_number FROM pii_span_review WHERE span_id = ?').get(manualId)).toEqual({
      source: 'manual',
      line_number: 4,
    });
    expect(valueRepo.listValues(fileId, issueOf(fileId), { type: 'manual', limit: 10 })).toMatchObject([
      { pii_type: 'manual', span_count: 1, first_line: 4 },
    ]);
    const redacted = await redactNow(fileId);
    expect(redacted).not.toContain(literal);
    expect(redacted.split('\n')[3]).toContain('region=[manual]');
  });

  it('finalizes a file pii.finalize_after_days after its upload, once, through the same redact job', async () => {
    const { fileId } = await readyFile();
    const sweeper = retentionSweeperFor(db);
    const days = (n: number) => new Date(Date.now() + n * 24 * 3600 * 1000);
    expect(await sweeper.sweep(days(29))).toBe(0);
    expect(await sweeper.sweep(days(31))).toBe(1);
    expect(await sweeper.sweep(days(31))).toBe(0);
    const request = db
      .prepare(`SELECT id, finalize, requested_by FROM redaction_requests WHERE log_file_id = ? AND state = 'pending'`)
      .get(fileId) as { id: string; finalize: number; requested_by: string };
    expect(request).toMatchObject({ finalize: 1, requested_by: 'retention' });
    const outbox = db.prepare(`SELECT id FROM outbox WHERE payload LIKE ?`).get(`%${request.id}%`) as { id: string };
    await sut.handleRedact(jobOf({ outbox_id: outbox.id, log_file_id: fileId, redaction_request_id: request.id }));
    expect(review.find(fileId)?.finalized_at).not.toBeNull();
    expect(rig.count(`SELECT count(*) AS n FROM pii_spans WHERE log_file_id = ? AND original_value <> ''`, fileId)).toBe(0);
    expect(await sweeper.sweep(days(60))).toBe(0);
    db.prepare(`INSERT INTO settings (key, value, updated_at) VALUES ('pii.finalize_after_days', '0', ?)`).run(toDbTimestamp());
    const second = await readyFile();
    expect(await sweeper.sweep(days(3650))).toBe(0);
    expect(review.find(second.fileId)?.finalized_at ?? null).toBeNull();
  });

  it('keeps a copy redacted under the old model readable, and re-redacts a partial approval once, hiding every span', async () => {
    const { fileId, spans } = await readyFile();
    // As the pre-issue-12 code left it: one span approved, a copy with the rest in clear, every original wiped.
    const leaky = await rig.blobs.write(Readable.from([Buffer.from(LOG.replace('jane.doe@example.org', '[Email]'))]));
    transaction(db, () => {
      const requestId = newId();
      db.prepare(
        `INSERT INTO redaction_requests (id, log_file_id, span_ids, requested_by, state, created_at, finished_at) VALUES (?, ?, ?, 'old-key', 'done', ?, ?)`,
      ).run(requestId, fileId, JSON.stringify([spans[0].id]), '2026-01-01 00:00:00', '2026-01-01 00:00:00');
      db.prepare(
        `INSERT INTO log_file_redactions (log_file_id, request_id, redacted_path, redacted_size, original_sha256, redacted_sha256, span_count, counts_by_type, created_at)
         VALUES (?, ?, ?, ?, 'x', 'y', 1, '{"Email":1}', '2026-01-01 00:00:00')`,
      ).run(fileId, requestId, leaky.path, leaky.size);
      db.prepare(`UPDATE pii_spans SET original_value = '' WHERE log_file_id = ?`).run(fileId);
      db.prepare('UPDATE log_files SET redacted = 1 WHERE id = ?').run(fileId);
      db.exec(
        readFileSync(join(__dirname, '..', '..', 'migrations', '031_flag_legacy_partial_redactions.sql'), 'utf8')
          .split(';')
          .find((s) => s.includes('UPDATE'))!,
      );
    });
    const legacy = new LogFileRedactionRepository(db).get(fileId)!;
    expect(legacy).toMatchObject({ version: 1, decisions_rev: 0, replacement_style: 'type', legacy_partial: 1 });
    expect((await buffer(blobs.openRead(legacy.redacted_path))).toString()).toContain('203.0.113.45');

    const sweeper = retentionSweeperFor(db);
    expect(await sweeper.sweep()).toBe(1);
    expect(await sweeper.sweep()).toBe(0);
    const request = db.prepare(`SELECT id FROM redaction_requests WHERE log_file_id = ? AND state = 'pending'`).get(fileId) as {
      id: string;
    };
    const outbox = db.prepare(`SELECT id FROM outbox WHERE payload LIKE ?`).get(`%${request.id}%`) as { id: string };
    await sut.handleRedact(jobOf({ outbox_id: outbox.id, log_file_id: fileId, redaction_request_id: request.id }));
    const row = new LogFileRedactionRepository(db).get(fileId)!;
    expect(row).toMatchObject({ version: 2, legacy_partial: 0 });
    const text = (await buffer(blobs.openRead(row.redacted_path))).toString();
    for (const value of ['203.0.113.45', 's3cretP4ss', '4111 1111 1111 1111', 'AKIAQWERTYUIOPASDFGH', 'ops@example.net'])
      expect([value, text.includes(value)]).toEqual([value, false]);
    expect(await blobs.exists(legacy.redacted_path)).toBe(false);
    expect(await sweeper.sweep()).toBe(0);
  });
});
