import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import type { Db, GroupCommit } from '@tftsr/db';
import { LogFileRedactionRepository, offLoopGroupCommit, openDatabase, toDbTimestamp } from '@tftsr/db';
import { TEST_KEY } from '../support/temp-dir';
import { IngestRig, jobOf } from '../support/ingest-rig';
import { requestRedaction } from '../support/redaction-request';

/**
 * The worker's writes while the API (another connection) holds SQLite's write lock. Real: SQLite, SQLCipher, the
 * blob store, the PII engine, the worker's group commit. Not here: BullMQ (test/e2e runs it).
 *
 * better-sqlite3 is synchronous: a plain transaction that finds the lock taken sleeps in SQLite's busy handler on
 * the event loop, for up to the busy timeout, and BullMQ's lock renewals, the metrics endpoint and every other job
 * of the process wait with it; then the job fails. Every write of a job goes through the group commit, which
 * waits without blocking.
 */
describe('the worker while another process holds the write lock', () => {
  let rig: IngestRig;
  let group: GroupCommit;
  let other: Db;

  beforeEach(() => {
    rig = new IngestRig(undefined, undefined, (db) => {
      group = offLoopGroupCommit(db, 0);
      return { group };
    });
    other = openDatabase({ path: join(rig.temp.dir, 'tftsr.db'), key: TEST_KEY });
  });
  afterEach(() => {
    if (other.inTransaction) other.prepare('ROLLBACK').run();
    other.close();
    rig.close();
  });

  /**
   * Takes the lock from `other` each time a trigger says so, and keeps it until the worker's group has found it
   * taken and a second has passed. Meanwhile it records the longest the event loop went without a turn from a
   * moment the lock was held (outside those moments the loop has CPU work of its own: a batch's commit, the
   * review index). A write that slept in SQLite's busy handler would stop the loop until the busy timeout: the
   * release below could not even run.
   */
  async function whileHolding<T>(triggers: Array<[what: string, ready: () => boolean]>, work: () => Promise<T>) {
    let longestHeldGapMs = 0;
    let last = process.hrtime.bigint();
    let heldAtLast = false;
    const turn = () => {
      const now = process.hrtime.bigint();
      if (heldAtLast) longestHeldGapMs = Math.max(longestHeldGapMs, Number(now - last) / 1e6);
      last = now;
      heldAtLast = other.inTransaction;
    };
    const ticker = setInterval(turn, 5);
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    let done = false;
    const holds: string[] = [];
    const holding = (async () => {
      for (const [what, ready] of triggers) {
        while (!ready() && !done) await sleep(2);
        if (done) return;
        const retries = group.stats.lockRetries;
        other.prepare('BEGIN IMMEDIATE').run();
        turn();
        while (group.stats.lockRetries === retries && !done) await sleep(5);
        if (!done) await sleep(1000);
        turn();
        other.prepare('ROLLBACK').run();
        if (group.stats.lockRetries > retries) holds.push(what);
      }
    })();
    const result = await work().finally(() => {
      done = true;
      clearInterval(ticker);
      turn();
    });
    await holding;
    return { result, holds, longestHeldGapMs };
  }

  it('scans a large file, its state, span batches and finish waiting for the lock, without the event loop ever stopping', async () => {
    // Over 8 MiB (a large file: its state and progress are written as it goes), an email every fourth line: over
    // 20,000 spans, so several batches are written before the finishing commit.
    const line = (n: number) =>
      n % 4 === 0
        ? `2026-12-08T02:00:00Z app[7]: login ok user=user${n}@example.org from the office\n`
        : `2026-12-08T02:00:00Z app[7]: tick ${n} ok, nothing to see\n`;
    const lines: string[] = [];
    let size = 0;
    for (let n = 0; size < 9 * 1024 * 1024; n++) {
      lines.push(line(n));
      size += lines[lines.length - 1].length;
    }
    const { fileId, scan } = await rig.upload(lines.join(''));
    const runs = () => (other.prepare('SELECT count(*) AS n FROM pii_scan_runs').get() as { n: number }).n;

    // From the start (the scan's `running` state), and again once the first batch of spans is committed (the next
    // batches, the progress).
    const { result, holds, longestHeldGapMs } = await whileHolding(
      [
        ['at the start', () => true],
        ['between batches', () => runs() > 0],
      ],
      () => rig.sut.handleDetectPii(jobOf(scan)),
    );

    expect(holds).toEqual(['at the start', 'between batches']);
    expect(longestHeldGapMs).toBeLessThan(500);
    const spans = Math.ceil(lines.length / 4);
    expect(result).toMatchObject({ spans });
    expect(rig.count('SELECT count(*) AS n FROM pii_spans WHERE log_file_id = ?', fileId)).toBe(spans);
    expect(rig.db.prepare('SELECT scan_state FROM log_file_processing WHERE log_file_id = ?').get(fileId)).toEqual({
      scan_state: 'done',
    });
  }, 60_000);

  it('numbers new pseudonyms for a redacted copy waiting for the lock, without the event loop ever stopping', async () => {
    rig.db.prepare(`INSERT INTO settings (key, value, updated_at) VALUES ('pii.replacement_style', '"pseudonym"', ?)`).run(toDbTimestamp());
    const log = Array.from({ length: 300 }, (_, n) => `2026-12-08T02:00:00Z login ok user=user${n % 120}@example.org\n`).join('');
    const { fileId, hash, scan } = await rig.upload(log);
    await rig.sut.handleDetectPii(jobOf(scan));
    await rig.sut.handleHash(jobOf(hash));
    const job = requestRedaction(rig.db, fileId);

    // From the start (the request's first read), and again after the worker's first commit: the 120 values are
    // numbered next, then the copy is written and committed.
    const commits = group.stats.commits;
    const { result, holds, longestHeldGapMs } = await whileHolding(
      [
        ['at the start', () => true],
        ['after its first commit', () => group.stats.commits > commits],
      ],
      () => rig.sut.handleRedact(jobOf(job, 0, 'redact')),
    );

    expect(holds).toEqual(['at the start', 'after its first commit']);
    expect(longestHeldGapMs).toBeLessThan(500);
    expect(result).toMatchObject({ span_count: 300 });
    const copy = (await buffer(rig.blobs.openRead(new LogFileRedactionRepository(rig.db).get(fileId)!.redacted_path))).toString();
    expect(copy).not.toContain('@example.org');
    // One number per value, in the order the copy meets them: user0 is 1, user119 is 120, user0 again is 1.
    const numbers = [...copy.matchAll(/user=\[Email-(\d+)\]/g)].map((m) => Number(m[1]));
    expect(numbers).toEqual(Array.from({ length: 300 }, (_, n) => (n % 120) + 1));
    expect(rig.count('SELECT count(*) AS n FROM pii_pseudonyms')).toBe(120);
  }, 60_000);
});
