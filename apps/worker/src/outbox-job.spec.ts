import { join } from 'node:path';
import type { Db } from '@tftsr/db';
import { loadMigrations, migrate, offLoopGroupCommit, openDatabase, OutboxRepository, transaction } from '@tftsr/db';
import { makeTempDir } from '@tftsr/test-support/temp-dir';
import { OutboxJobGuard } from './outbox-job';

/** The exactly-once edge, against a real database: a finish waits for a lock held elsewhere without stopping the worker. */
describe('OutboxJobGuard', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let db: Db;
  let outbox: OutboxRepository;
  let sut: OutboxJobGuard;

  beforeEach(() => {
    temp = makeTempDir();
    db = openDatabase({ path: join(temp.dir, 'tftsr.db'), key: null });
    migrate(db, loadMigrations());
    outbox = new OutboxRepository(db);
    sut = new OutboxJobGuard(offLoopGroupCommit(db, 0), outbox);
  });
  afterEach(() => {
    db.close();
    temp.remove();
  });

  const job = () => transaction(db, () => outbox.add('deliver_webhook', (outbox_id) => ({ outbox_id, delivery_id: 'd1' }))).id;

  it('commits the effect with the row turning done, once: a second run of the same job commits nothing', async () => {
    const id = job();
    const effects: string[] = [];
    await expect(sut.finish(id, () => (effects.push('first'), 'done once'))).resolves.toBe('done once');
    await expect(sut.finish(id, () => (effects.push('second'), 'twice'))).resolves.toBeNull();
    expect(effects).toEqual(['first']);
    expect(outbox.get(id)?.state).toBe('done');
    expect(sut.isDone(id)).toBe(true);
  });

  it('waits for a write lock another process holds without blocking the event loop, then commits', async () => {
    const id = job();
    const other = openDatabase({ path: join(temp.dir, 'tftsr.db'), key: null });
    const order: string[] = [];
    try {
      other.exec('BEGIN IMMEDIATE');
      const finished = sut.finish(id, () => 'delivered').then((value) => (order.push('finished'), value));
      // Runs only if the event loop turns while the finish waits (SQLite's busy handler would have slept through it).
      await new Promise((resolve) => setTimeout(resolve, 50));
      order.push('timer');
      expect(outbox.get(id)?.state).not.toBe('done');
      other.exec('COMMIT');
      await expect(finished).resolves.toBe('delivered');
      expect(order).toEqual(['timer', 'finished']);
      expect(outbox.get(id)?.state).toBe('done');
    } finally {
      if (other.inTransaction) other.exec('ROLLBACK');
      other.close();
    }
  });

  it('marks a job failed together with its effect', async () => {
    const id = job();
    await sut.fail(id, 'gave up', () => undefined);
    expect(outbox.get(id)).toMatchObject({ state: 'failed' });
  });
});
