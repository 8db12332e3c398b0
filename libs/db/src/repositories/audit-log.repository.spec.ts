import { join } from 'node:path';
import { makeTempDir, TEST_KEY } from '@tftsr/test-support/temp-dir';
import type { Db } from '../database';
import { openDatabase, transaction } from '../database';
import { deriveKey } from '../keys';
import { loadMigrations, migrate } from '../migrate';
import { AuditLogRepository } from './audit-log.repository';

describe('AuditLogRepository', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let db: Db;
  let sut: AuditLogRepository;

  const append = (n: number) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i += 1) {
      ids.push(
        transaction(db, () => sut.append({ action: 'update_issue', entity_type: 'issue', entity_id: `issue-${i}`, details: { n: i } })).id,
      );
    }
    return ids;
  };

  beforeEach(() => {
    temp = makeTempDir();
    db = openDatabase({ path: join(temp.dir, 'tftsr.db'), key: TEST_KEY });
    migrate(db, loadMigrations());
    sut = new AuditLogRepository(db, deriveKey(TEST_KEY, 'audit-hmac'));
  });
  afterEach(() => {
    db.close();
    temp.remove();
  });

  it('chains each entry to the one before and reports an intact chain with its head hash', () => {
    append(5);
    const rows = db.prepare('SELECT prev_hash, entry_hash FROM audit_log ORDER BY rowid').all() as {
      prev_hash: string;
      entry_hash: string;
    }[];
    expect(rows[0].prev_hash).toBe('');
    for (let i = 1; i < rows.length; i += 1) expect(rows[i].prev_hash).toBe(rows[i - 1].entry_hash);
    expect(sut.verify()).toEqual({ intact: true, entries: 5, head_hash: rows[4].entry_hash });
  });

  it('reports an empty log as intact', () => {
    expect(sut.verify()).toEqual({ intact: true, entries: 0, head_hash: '' });
  });

  it('writes entries only inside the transaction of the change they record', () => {
    expect(() => sut.append({ action: 'create_issue', entity_type: 'issue', entity_id: '1' })).toThrow(/transaction/);
  });

  it('uses the seed’s user_id "local" when no API key is named', () => {
    const entry = transaction(db, () => sut.append({ action: 'db_restore', entity_type: 'database', entity_id: 'tftsr.db' }));
    expect(entry.user_id).toBe('local');
  });

  it('names an edited entry', () => {
    const ids = append(5);
    db.prepare(`UPDATE audit_log SET details = '{"n":99}' WHERE id = ?`).run(ids[2]);
    expect(sut.verify()).toMatchObject({
      intact: false,
      first_broken: { id: ids[2], position: 3, reason: expect.stringMatching(/edited/) },
    });
  });

  it('names the entry after a deleted one', () => {
    const ids = append(5);
    db.prepare('DELETE FROM audit_log WHERE id = ?').run(ids[1]);
    expect(sut.verify()).toMatchObject({
      intact: false,
      first_broken: { id: ids[2], position: 2, reason: expect.stringMatching(/removed/) },
    });
  });

  it('names the first entry out of place when two are swapped', () => {
    const ids = append(4);
    const rows = db.prepare('SELECT * FROM audit_log ORDER BY rowid').all() as Record<string, unknown>[];
    db.exec('DELETE FROM audit_log');
    const insert = db.prepare(
      'INSERT INTO audit_log (id, timestamp, action, entity_type, entity_id, user_id, details, prev_hash, entry_hash) VALUES (@id, @timestamp, @action, @entity_type, @entity_id, @user_id, @details, @prev_hash, @entry_hash)',
    );
    for (const row of [rows[0], rows[2], rows[1], rows[3]]) insert.run(row);
    expect(sut.verify()).toMatchObject({ intact: false, first_broken: { id: ids[2], position: 2 } });
  });

  it('notices entries cut off the end of the chain', () => {
    const ids = append(4);
    db.prepare('DELETE FROM audit_log WHERE id = ?').run(ids[3]);
    expect(sut.verify()).toMatchObject({
      intact: false,
      first_broken: { id: null, position: 4, reason: expect.stringMatching(/removed from its end/) },
    });
  });

  it('rejects an entry forged without the key, even with a correctly linked prev_hash', () => {
    append(2);
    const forger = new AuditLogRepository(db, deriveKey('a guessed key', 'audit-hmac'));
    const head = db.prepare('SELECT entry_hash FROM audit_log ORDER BY rowid DESC LIMIT 1').get() as { entry_hash: string };
    db.prepare(`DELETE FROM audit_head`).run();
    db.prepare(`INSERT INTO audit_head (id, entry_count, head_hash, mac) VALUES (1, 2, ?, 'x')`).run(head.entry_hash);
    transaction(db, () => forger.append({ action: 'create_issue', entity_type: 'issue', entity_id: '1' }));
    expect(sut.verify()).toMatchObject({ intact: false, first_broken: { position: 3 } });
  });

  it('re-signs the chain under a new key, and refuses to re-sign a broken one', () => {
    const ids = append(3);
    const newKey = deriveKey('the next passphrase', 'audit-hmac');
    const next = transaction(db, () => sut.rechain(newKey));
    expect(next.verify()).toMatchObject({ intact: true, entries: 3 });
    expect(sut.verify().intact).toBe(false);
    db.prepare(`UPDATE audit_log SET action = 'tampered' WHERE id = ?`).run(ids[0]);
    expect(() => transaction(db, () => next.rechain(deriveKey('third', 'audit-hmac')))).toThrow(/broken at entry 1/);
  });
  describe('list', () => {
    const at = (rowid: number, timestamp: string, user: string) =>
      db.prepare('UPDATE audit_log SET timestamp = ?, user_id = ? WHERE rowid = ?').run(timestamp, user, rowid);

    it('lists newest first, filters exactly, honours the time range and pages by position', () => {
      append(5);
      at(1, '2026-01-01 00:00:00', 'ana');
      at(2, '2026-01-02 00:00:00', 'ben');
      at(3, '2026-01-03 00:00:00', 'ana');
      at(4, '2026-01-04 00:00:00', 'ana');
      at(5, '2026-01-05 00:00:00', 'ben');
      const positions = (rows: { position: number }[]) => rows.map((r) => r.position);
      expect(positions(sut.list({ limit: 10 }))).toEqual([5, 4, 3, 2, 1]);
      expect(positions(sut.list({ limit: 10, user_id: 'ana' }))).toEqual([4, 3, 1]);
      expect(positions(sut.list({ limit: 10, entity_id: 'issue-1' }))).toEqual([2]);
      expect(positions(sut.list({ limit: 10, from: '2026-01-02 00:00:00', to: '2026-01-04 00:00:00' }))).toEqual([3, 2]);
      expect(positions(sut.list({ limit: 2, before: 4 }))).toEqual([3, 2]);
      expect(positions(sut.list({ limit: 10, action: 'delete_issue' }))).toEqual([]);
    });
  });
});
