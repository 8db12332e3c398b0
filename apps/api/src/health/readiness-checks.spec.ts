import { join } from 'node:path';
import type { Db } from '@tftsr/db';
import { loadMigrations, migrate, openDatabase, OutboxRepository, transaction } from '@tftsr/db';
import { makeTempDir, TEST_KEY } from '@tftsr/test-support/temp-dir';
import { describeRedisTopology } from '@tftsr/config';
import { checkDatabase, checkDiskSpace, checkOutbox, checkWriteLock, redisUnreachable } from './readiness-checks';

describe('readiness checks', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let db: Db;

  beforeEach(() => {
    temp = makeTempDir();
    db = openDatabase({ path: join(temp.dir, 'tftsr.db'), key: TEST_KEY });
    migrate(db, loadMigrations());
  });
  afterEach(() => {
    if (db.open) db.close();
    temp.remove();
  });

  describe('database_lock', () => {
    it('is ok when the write lock is free, and leaves no transaction open', async () => {
      expect(await checkWriteLock(db, 200)).toEqual({ ok: true });
      expect(db.inTransaction).toBe(false);
    });

    it('names a write lock held longer than the limit, and recovers once it is released', async () => {
      const other = openDatabase({ path: join(temp.dir, 'tftsr.db'), key: TEST_KEY });
      other.exec('BEGIN IMMEDIATE');
      try {
        expect(await checkWriteLock(db, 300)).toEqual({
          ok: false,
          reason: expect.stringMatching(/write lock could not be taken for 300 ms/),
        });
      } finally {
        other.exec('ROLLBACK');
        other.close();
      }
      expect(await checkWriteLock(db, 300)).toEqual({ ok: true });
      // The connection's own busy timeout is back to what the app set.
      expect(db.pragma('busy_timeout', { simple: true })).toBe(10000);
    });
  });

  describe('disk_space', () => {
    it('is ok above the minimum and names the free space below it', async () => {
      expect(await checkDiskSpace(temp.dir, 1024)).toEqual({ ok: true });
      expect(await checkDiskSpace(temp.dir, Number.MAX_SAFE_INTEGER)).toEqual({
        ok: false,
        reason: expect.stringMatching(/^only [\d.]+ MiB free on the filesystem of .* uploads will fail with 507/),
      });
    });
  });

  describe('outbox', () => {
    const now = Date.now();
    const addPending = (createdAt: number) =>
      transaction(db, () => new OutboxRepository(db).add('hash', (outbox_id) => ({ outbox_id, log_file_id: 'f' }), createdAt));

    it('is ok with no pending row, or a young one', () => {
      expect(checkOutbox(db, 600_000, 60_000, now)).toEqual({ ok: true });
      addPending(now - 10_000);
      expect(checkOutbox(db, 600_000, 60_000, now)).toEqual({ ok: true });
    });

    it('is stuck when a row has waited past the limit while Redis has been up as long', () => {
      addPending(now - 300_000);
      expect(checkOutbox(db, 600_000, 60_000, now)).toEqual({
        ok: false,
        reason: expect.stringMatching(/waited 300 s although Redis has been up for 600 s/),
      });
    });

    it('is not stuck while Redis is down, or just back and draining the backlog', () => {
      addPending(now - 300_000);
      expect(checkOutbox(db, null, 60_000, now)).toEqual({ ok: true });
      expect(checkOutbox(db, 5_000, 60_000, now)).toEqual({ ok: true });
    });
  });

  describe('database', () => {
    it('is ok while the database answers', () => {
      expect(checkDatabase(db)).toEqual({ ok: true });
    });

    it('reports a closed connection', () => {
      db.close();
      expect(checkDatabase(db)).toEqual({ ok: false, reason: expect.stringMatching(/database does not answer/) });
    });
  });
});

describe('redisUnreachable', () => {
  it.each([
    [{ code: 'ECONNREFUSED' }, new Error('Connection is closed.'), 'nothing listens there (connection refused)'],
    [{ code: 'ENOTFOUND' }, new Error("Stream isn't writeable and enableOfflineQueue options is false"), 'the host name does not resolve'],
    [
      { message: 'WRONGPASS invalid username-password pair' },
      new Error('Connection is closed.'),
      'it refuses the password (check the user and password in REDIS_URL)',
    ],
    [undefined, new Error('no answer within 1500 ms'), 'no answer within 1500 ms'],
    [undefined, new Error('Connection is closed.'), 'no connection'],
  ])('says why in plain words (%j)', (lastError, failure, cause) => {
    expect(redisUnreachable({ where: 'redis.internal:6379', variable: 'REDIS_URL' }, lastError, failure)).toEqual({
      ok: false,
      reason: `redis is unreachable at redis.internal:6379: ${cause}; start Redis or fix REDIS_URL`,
    });
  });

  it('names the Sentinel variables, not REDIS_URL, when Redis is reached through Sentinel', () => {
    const target = describeRedisTopology({ kind: 'sentinel', sentinels: [{ host: 's1', port: 26379 }], name: 'mymaster', password: 'pw' });
    const sut = redisUnreachable(target, { message: 'WRONGPASS invalid username-password pair' }, new Error('Connection is closed.'));
    expect(sut.reason).toBe(
      "redis is unreachable at the primary 'mymaster' of sentinels s1:26379: " +
        'it refuses the password (check TFTSR_REDIS_USERNAME and TFTSR_REDIS_PASSWORD); start Redis or fix TFTSR_REDIS_SENTINELS',
    );
  });
});
