import { requestRedaction } from '../support/redaction-request';
import { buffer } from 'node:stream/consumers';
import type { Db } from '@tftsr/db';
import { LogFileRedactionRepository, toDbTimestamp } from '@tftsr/db';
import type { BlobStore } from '@tftsr/storage';
import type { IngestProcessor } from '@tftsr/worker/ingest.processor';
import { IngestRig, jobOf } from '../support/ingest-rig';

/**
 * A user's custom rule from upload to redacted copy. Real: SQLite/SQLCipher, the blob store, the PII engine and
 * the hash, detect_pii and redact handlers. Not here: BullMQ (a plain object stands in for the job) and the API.
 */
const LOG = [
  '2026-11-27T10:00:01Z badge[12]: EMP-123456 entered door 4 from 203.0.113.45',
  '2026-11-27T10:00:02Z badge[12]: EMP-654321 left (a backtracking engine would still be on the next line)',
  `2026-11-27T10:00:03Z badge[12]: ${'a'.repeat(200_000)}!`,
].join('\n');

describe('custom rules in the ingest jobs', () => {
  let rig: IngestRig;
  let db: Db;
  let blobs: BlobStore;
  let sut: IngestProcessor;

  beforeEach(() => {
    rig = new IngestRig();
    ({ db, blobs, sut } = rig);
  });
  afterEach(() => rig.close());

  function setRules(rules: unknown): void {
    db.prepare('INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)').run(
      'pii.custom_rules',
      JSON.stringify(rules),
      toDbTimestamp(),
    );
  }

  it('stores custom spans with the rule replacement and redacts them like built-in ones', async () => {
    setRules([
      { name: 'employee-id', pattern: 'EMP-[0-9]{6}', replacement: '[EMPLOYEE]' },
      { name: 'evil', pattern: '(a+)+$' },
    ]);
    const { fileId, hash, scan } = await rig.upload(LOG);
    await sut.handleDetectPii(jobOf(scan, 0, 'detect_pii'));
    await sut.handleHash(jobOf(hash, 0, 'hash'));

    const spans = db
      .prepare('SELECT pii_type, original_value, replacement FROM pii_spans WHERE log_file_id = ? ORDER BY start_offset')
      .all(fileId);
    expect(spans).toEqual([
      { pii_type: 'Custom', original_value: 'EMP-123456', replacement: '[EMPLOYEE]' },
      { pii_type: 'IPv4', original_value: '203.0.113.45', replacement: '[IPv4]' },
      { pii_type: 'Custom', original_value: 'EMP-654321', replacement: '[EMPLOYEE]' },
    ]);

    const job = requestRedaction(db, fileId);
    await sut.handleRedact(jobOf(job, 0, 'redact'));
    const redacted = (await buffer(blobs.openRead(new LogFileRedactionRepository(db).get(fileId)!.redacted_path))).toString();
    expect(redacted.split('\n').slice(0, 2)).toEqual([
      '2026-11-27T10:00:01Z badge[12]: [EMPLOYEE] entered door 4 from [IPv4]',
      '2026-11-27T10:00:02Z badge[12]: [EMPLOYEE] left (a backtracking engine would still be on the next line)',
    ]);
  });

  it('skips a stored rule the API would have refused and still runs the others', async () => {
    setRules([
      { name: 'bad', pattern: '(a' },
      { name: 'employee-id', pattern: 'EMP-[0-9]{6}' },
    ]);
    const { fileId, hash, scan } = await rig.upload(LOG);
    await sut.handleDetectPii(jobOf(scan, 0, 'detect_pii'));
    await sut.handleHash(jobOf(hash, 0, 'hash'));
    const custom = db.prepare(`SELECT replacement FROM pii_spans WHERE log_file_id = ? AND pii_type = 'Custom'`).all(fileId);
    expect(custom).toEqual([{ replacement: '[employee-id]' }, { replacement: '[employee-id]' }]);
  });
});
