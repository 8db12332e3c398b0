import { join } from 'node:path';
import { makeTempDir } from '@tftsr/test-support/temp-dir';
import type { Db } from '../database';
import { openDatabase, transaction } from '../database';
import { newId } from '../ids';
import { loadMigrations, migrate } from '../migrate';
import type { NewPiiSpan } from './pii-span.repository';
import { PiiSpanRepository, ScanRunSwept } from './pii-span.repository';

describe('PiiSpanRepository: spans written once, published whole', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let db: Db;
  let sut: PiiSpanRepository;
  let fileId: string;

  const span = (start: number, value = `user${start}@example.org`): NewPiiSpan => ({
    pii_type: 'Email',
    start_offset: start,
    end_offset: start + value.length,
    original_value: value,
    replacement: '[Email]',
  });
  const visible = () => sut.listPage(fileId, { limit: 1000 }).map((s) => s.start_offset);
  const rows = () => (db.prepare('SELECT count(*) AS n FROM pii_spans WHERE log_file_id = ?').get(fileId) as { n: number }).n;

  beforeAll(() => {
    // A plain file: the key derivation of an encrypted one would cost more than these tests.
    temp = makeTempDir();
    db = openDatabase({ path: join(temp.dir, 'spans.db'), key: null });
    migrate(db, loadMigrations());
    sut = new PiiSpanRepository(db);
  });
  afterAll(() => {
    db.close();
    temp.remove();
  });
  beforeEach(() => {
    fileId = newId();
    const now = '2026-01-01 00:00:00';
    const issueId = newId();
    db.prepare(`INSERT INTO issues (id, title, severity, status, created_at, updated_at) VALUES (?, 't', 'low', 'open', ?, ?)`).run(
      issueId,
      now,
      now,
    );
    db.prepare(`INSERT INTO log_files (id, issue_id, file_name, file_path, file_size, uploaded_at) VALUES (?, ?, 'a.log', 'p', 1, ?)`).run(
      fileId,
      issueId,
      now,
    );
  });

  it('hides a run’s batches until it is published, then shows exactly its set in place of the previous one', () => {
    const first = newId();
    transaction(db, () => sut.publishRun(first, fileId, [span(1), span(2)], 2, false));
    expect(visible()).toEqual([1, 2]);

    const second = newId();
    transaction(db, () => {
      sut.beginRun(second, fileId);
      sut.writeRun(second, fileId, [span(10), span(20)]);
    });
    expect(visible()).toEqual([1, 2]);
    expect(sut.countByType(fileId)).toEqual({ Email: 2 });
    expect(sut.summariseRedactable(fileId, null).count).toBe(2);

    expect(transaction(db, () => sut.publishRun(second, fileId, [span(30)], 3, true))).toBe(3);
    expect(visible()).toEqual([10, 20, 30]);
    expect(rows()).toBe(3);
    expect(db.prepare('SELECT count(*) AS n FROM pii_scan_runs').get()).toEqual({ n: 0 });
  });

  it('publishes nothing, and keeps the previous set, when a sweep took the run while it was scanning', () => {
    const first = newId();
    transaction(db, () => sut.publishRun(first, fileId, [span(1)], 1, false));
    const run = newId();
    transaction(db, () => {
      sut.beginRun(run, fileId, 1000);
      sut.writeRun(run, fileId, [span(5)]);
    });
    transaction(db, () => sut.sweepRunsBefore(2000));
    expect(() => transaction(db, () => sut.publishRun(run, fileId, [span(6)], 2, true))).toThrow(ScanRunSwept);
    expect(visible()).toEqual([1]);
    expect(rows()).toBe(1);
  });

  it('sweeps a run that died with what it wrote; the run, still going, can then neither write nor publish', () => {
    const run = newId();
    transaction(db, () => {
      sut.beginRun(run, fileId, 1000);
      sut.writeRun(run, fileId, [span(1), span(2)]);
    });
    expect(transaction(db, () => sut.sweepRunsBefore(2000))).toBe(2);
    expect(rows()).toBe(0);
    expect(() => transaction(db, () => sut.writeRun(run, fileId, [span(3)]))).toThrow(ScanRunSwept);
    expect(() => transaction(db, () => sut.publishRun(run, fileId, [span(4)], 1, true))).toThrow(ScanRunSwept);
    expect(rows()).toBe(0);
  });

  it('removes, when publishing, what an overlapping run of the same file had written', () => {
    const loser = newId();
    const winner = newId();
    transaction(db, () => {
      sut.beginRun(loser, fileId);
      sut.writeRun(loser, fileId, [span(1)]);
      sut.beginRun(winner, fileId);
      sut.writeRun(winner, fileId, [span(1)]);
    });
    transaction(db, () => sut.publishRun(winner, fileId, [], 1, true));
    expect(visible()).toEqual([1]);
    expect(rows()).toBe(1);
    expect(() => transaction(db, () => sut.writeRun(loser, fileId, [span(2)]))).toThrow(ScanRunSwept);
    expect(transaction(db, () => sut.discardRun(loser, fileId))).toBe(0);
  });
});
