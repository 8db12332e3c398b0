import { join } from 'node:path';
import { makeTempDir, TEST_KEY } from '../../../../test/support/temp-dir';
import type { Db} from '../database';
import { openDatabase, transaction } from '../database';
import { loadMigrations, migrate } from '../migrate';
import { OutboxRepository } from './outbox.repository';

const DAY = 24 * 3600 * 1000;

describe('OutboxRepository', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let db: Db;
  let sut: OutboxRepository;

  beforeEach(() => {
    temp = makeTempDir();
    db = openDatabase({ path: join(temp.dir, 'tftsr.db'), key: TEST_KEY });
    migrate(db, loadMigrations());
    sut = new OutboxRepository(db);
  });
  afterEach(() => {
    db.close();
    temp.remove();
  });

  const add = (at: number) => transaction(db, () => sut.add('ingest', 'hash', (outbox_id) => ({ outbox_id, log_file_id: 'f' }), at));

  it('forgets done rows that finished before the cut-off, and keeps pending, failed and recent ones', () => {
    const now = Date.now();
    const oldDone = add(now - 10 * DAY);
    sut.markDone(oldDone.id, now - 9 * DAY);
    const recentDone = add(now - 10 * DAY);
    sut.markDone(recentDone.id, now - DAY);
    const oldFailed = add(now - 10 * DAY);
    sut.markFailed(oldFailed.id, 'gave up', now - 9 * DAY);
    const pending = add(now - 10 * DAY);

    expect(sut.pruneDone(now - 7 * DAY, 100)).toBe(1);
    expect(sut.get(oldDone.id)).toBeUndefined();
    expect([recentDone, oldFailed, pending].map((r) => sut.get(r.id)?.state)).toEqual(['done', 'failed', 'pending']);
  });

  it('prunes at most `limit` rows a call', () => {
    const now = Date.now();
    for (let i = 0; i < 5; i++) sut.markDone(add(now - 10 * DAY).id, now - 9 * DAY);
    expect(sut.pruneDone(now - 7 * DAY, 2)).toBe(2);
    expect(sut.pruneDone(now - 7 * DAY, 10)).toBe(3);
  });

  it('counts the states and the age of the oldest pending row', () => {
    const now = Date.now();
    add(now - 5000);
    add(now - 1000);
    sut.markDispatched(add(now).id, now);
    sut.markDone(add(now).id, now);
    expect(sut.stats(now)).toEqual({ pending: 2, dispatched: 1, failed: 0, oldest_pending_ms: 5000 });
  });
});
