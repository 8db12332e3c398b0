import {
  AuditLogRepository,
  deriveKey,
  GroupCommit,
  IssueRepository,
  isSqliteBusy,
  newId,
  observeWriteLockWait,
  openAndMigrate,
  openDatabase,
  toDbTimestamp,
  walSync,
} from '@tftsr/db';
import type { Db } from '@tftsr/db';
import { join } from 'node:path';
import { makeTempDir, TEST_KEY } from '../support/temp-dir';

const quiet = { log: () => undefined, warn: () => undefined };

/** GroupCommit against a real encrypted database: which units share a commit, and what a failing unit leaves. */
describe('GroupCommit', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let db: Db;
  let audit: AuditLogRepository;
  let issues: IssueRepository;
  let sut: GroupCommit;

  beforeEach(() => {
    temp = makeTempDir();
    db = openAndMigrate({ path: join(temp.dir, 'tftsr.db'), key: TEST_KEY }, quiet);
    audit = new AuditLogRepository(db, deriveKey(TEST_KEY, 'audit-hmac'));
    issues = new IssueRepository(db);
    sut = new GroupCommit(db, 5);
  });
  afterEach(() => {
    db.close();
    temp.remove();
  });

  const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;

  /** An issue and its audit entry, as a route writes them; `fail` throws after both were written. */
  const createIssue =
    (title: string, fail = false) =>
    () => {
      const now = toDbTimestamp();
      const id = newId();
      db.prepare(`INSERT INTO issues (id, title, severity, status, created_at, updated_at) VALUES (?, ?, 'high', 'open', ?, ?)`).run(
        id,
        title,
        now,
        now,
      );
      audit.append({ action: 'create_issue', entity_type: 'issue', entity_id: id, user_id: 'test', details: { title } });
      if (fail) throw new Error(`refused ${title}`);
      return id;
    };

  it('commits units submitted together in one transaction, and resolves each with its own result', async () => {
    const ids = await Promise.all(['a', 'b', 'c'].map((t) => sut.run(createIssue(t))));
    expect(sut.stats).toEqual({ commits: 1, units: 3, lockRetries: 0 });
    expect(ids.map((id) => issues.findById(id)?.title)).toEqual(['a', 'b', 'c']);
    expect(audit.verify()).toMatchObject({ intact: true, entries: 3 });
  });

  it('rejects a failing unit alone: its writes and audit entry are rolled back, the others of its group commit', async () => {
    const results = await Promise.allSettled([sut.run(createIssue('a')), sut.run(createIssue('bad', true)), sut.run(createIssue('c'))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ message: 'refused bad' });
    expect(sut.stats).toEqual({ commits: 1, units: 3, lockRetries: 0 });
    expect(db.prepare(`SELECT title FROM issues ORDER BY title`).pluck().all()).toEqual(['a', 'c']);
    expect(audit.verify()).toMatchObject({ intact: true, entries: 2 });
  });

  it('waits for an expected unit until it is submitted, then commits it with the others', async () => {
    sut.windowMs = 60_000;
    const release = sut.expect();
    const first = sut.run(createIssue('a'));
    await new Promise((r) => setTimeout(r, 50));
    expect(count(`SELECT count(*) AS n FROM issues`)).toBe(0);
    const second = sut.run(createIssue('b'));
    release();
    release();
    await Promise.all([first, second]);
    expect(sut.stats).toEqual({ commits: 1, units: 2, lockRetries: 0 });
  });

  it('commits after the window when an expected unit never comes, and does not wait when none is expected', async () => {
    const release = sut.expect();
    await sut.run(createIssue('a'));
    expect(count(`SELECT count(*) AS n FROM issues`)).toBe(1);
    release();
    sut.windowMs = 60_000;
    await sut.run(createIssue('b'));
    expect(sut.stats).toEqual({ commits: 2, units: 2, lockRetries: 0 });
  });

  it('waits for a write lock another connection holds without blocking the event loop, then commits', async () => {
    const other = openDatabase({ path: join(temp.dir, 'tftsr.db'), key: TEST_KEY });
    const waits: number[] = [];
    observeWriteLockWait(db, (seconds) => waits.push(seconds));
    try {
      other.prepare('BEGIN IMMEDIATE').run();
      const askedAt = process.hrtime.bigint();
      const committed = sut.run(createIssue('waits its turn'));
      let turns = 0;
      const ticker = setInterval(() => (turns += 1), 1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      clearInterval(ticker);
      // SQLite's busy handler would have slept here, the event loop stopped, for up to the busy timeout (10 s).
      expect(turns).toBeGreaterThan(5);
      expect(sut.stats).toMatchObject({ commits: 0, units: 0, lockRetries: expect.any(Number) });
      expect(sut.stats.lockRetries).toBeGreaterThan(0);

      // Measured, not taken from the timer: a timer set while the loop's clock was behind (the key derivation of
      // openDatabase above) fires early in real time.
      const heldSeconds = Number(process.hrtime.bigint() - askedAt) / 1e9;
      other.prepare('COMMIT').run();
      await committed;
      expect(sut.stats).toMatchObject({ commits: 1, units: 1 });
      expect(count(`SELECT count(*) AS n FROM issues WHERE title = 'waits its turn'`)).toBe(1);
      expect(db.pragma('busy_timeout', { simple: true })).toBe(10000);
      // The lock-wait metric sees one wait, from the group's first try to its lock: not a wait of 0 per try.
      // (A wait per try would be ~0 each; half the time held leaves room for a slow start of the first try.)
      expect(waits).toEqual([expect.any(Number)]);
      expect(waits[0]).toBeGreaterThan(heldSeconds / 2);
    } finally {
      observeWriteLockWait(db, null);
      if (other.inTransaction) other.prepare('ROLLBACK').run();
      other.close();
    }
  });

  it('gives up once the lock was held for the busy timeout: every unit fails as SQLite would, nothing written, the loop never blocked', async () => {
    db.pragma('busy_timeout = 1000');
    sut = new GroupCommit(db, 5);
    const other = openDatabase({ path: join(temp.dir, 'tftsr.db'), key: TEST_KEY });
    try {
      other.prepare('BEGIN IMMEDIATE').run();
      const order: string[] = [];
      const settled = ['first', 'second', 'third'].map((title) =>
        sut.run(createIssue(title)).then(
          () => order.push(`${title} committed`),
          (err: unknown) => {
            order.push(`${title} refused`);
            return err;
          },
        ),
      );
      // The longest the event loop went without a turn: SQLite's busy handler would have held it a whole busy timeout.
      let longestGapMs = 0;
      let last = process.hrtime.bigint();
      const turn = () => {
        const now = process.hrtime.bigint();
        longestGapMs = Math.max(longestGapMs, Number(now - last) / 1e6);
        last = now;
      };
      const ticker = setInterval(turn, 5);
      // Measured once more when they settle: a wait that blocked ends with the rejections, before any timer runs.
      const errors = await Promise.all(settled).finally(() => (clearInterval(ticker), turn()));
      expect(order).toEqual(['first refused', 'second refused', 'third refused']);
      expect(longestGapMs).toBeLessThan(1000);
      for (const err of errors) expect(isSqliteBusy(err)).toBe(true);
      expect(count(`SELECT count(*) AS n FROM issues`)).toBe(0);
      expect(sut.stats).toMatchObject({ commits: 0 });
      expect(db.pragma('busy_timeout', { simple: true })).toBe(1000);

      // The next group starts a wait of its own, and commits once the lock is free.
      const retriesBefore = sut.stats.lockRetries;
      const later = sut.run(createIssue('after the lock'));
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(sut.stats.lockRetries).toBeGreaterThan(retriesBefore);
      other.prepare('ROLLBACK').run();
      await later;
      expect(count(`SELECT count(*) AS n FROM issues`)).toBe(1);
    } finally {
      if (other.inTransaction) other.prepare('ROLLBACK').run();
      other.close();
    }
  });

  it('with a durability step, commits without the fsync and answers no unit before that step has ended', async () => {
    let synced!: () => void;
    const steps: Promise<void>[] = [];
    sut = new GroupCommit(db, 5, () => {
      const step = new Promise<void>((resolve) => (synced = resolve));
      steps.push(step);
      return step;
    });
    let answered = 0;
    const units = ['a', 'b'].map((t) => sut.run(createIssue(t)).then(() => (answered += 1)));
    await new Promise((r) => setTimeout(r, 50));
    // Committed (another connection sees it) and the connection back at FULL, but nobody answered yet.
    const other = openDatabase({ path: join(temp.dir, 'tftsr.db'), key: TEST_KEY, readonly: true });
    expect(other.prepare(`SELECT count(*) FROM issues`).pluck().get()).toBe(2);
    other.close();
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect({ steps: steps.length, answered }).toEqual({ steps: 1, answered: 0 });
    synced();
    await Promise.all(units);
    expect(answered).toBe(2);
  });

  it('rejects the units of a group whose durability step fails', async () => {
    sut = new GroupCommit(db, 5, () => Promise.reject(new Error('EIO: fsync failed')));
    const results = await Promise.allSettled([sut.run(createIssue('a')), sut.run(createIssue('b'))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason).toMatchObject({ message: 'EIO: fsync failed' });
  });

  it('syncs the WAL file for real (walSync), calls made during an fsync sharing the next one', async () => {
    sut = new GroupCommit(db, 5, walSync(db));
    const ids = await Promise.all(['a', 'b', 'c'].map((t) => sut.run(createIssue(t))));
    const sync = walSync(db);
    await Promise.all([sync(), sync(), sync()]);
    expect(ids.map((id) => issues.findById(id)?.title)).toEqual(['a', 'b', 'c']);
  });
});
