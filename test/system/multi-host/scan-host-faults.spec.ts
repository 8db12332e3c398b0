import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repeatedLog } from '../../../bench/support/log-corpus';
import { waitFor } from '../../support/app-processes';
import type { TestHost } from '../../support/netns';
import { probeIsolation } from '../../support/netns';
import { logWithPlantedSecret, missingPlantedSpans, uploadPlanted } from '../redis-ha/ingestion-smoke';
import { MultiHostRig } from './multi-host-rig';

/**
 * Large enough for progress to be recorded (from 8 MiB up). Realistic sparse logs (one PII line in 20): a dense
 * file stages so many spans that, on a loaded machine, WAL checkpoints block the worker past its 2 s lock.
 */
const BIG = 24 * 1024 * 1024;
/** B's link is this slow (A to B), so B's scan of BIG lasts about 3 s however fast the CPUs are: C's is not. */
const B_LINK_MBIT = 64;
/** The fault comes once the scan has recorded this much progress: mid-scan by the scan's own state, not by a clock. */
const MID_SCAN_PCT = 5;
const MODE = probeIsolation();

/**
 * Issue 19, beyond one machine: scan work on hosts B and C survives losing one of them. Host A (this test's
 * network namespace, at the bridge's address) runs Redis, the API, s3rver and the DB-writer worker
 * (TFTSR_WORKER_ROLE=writer), and holds the data directory; hosts B and C are network namespaces of their own, each
 * with one cable (a veth pair) to A's bridge, and run scanners (TFTSR_WORKER_ROLE=scanner) that reach A's Redis and
 * bucket only over it. The scanners have no database key, and A's data directory is hidden from them (an empty
 * tmpfs over it); they hold the blob key that `tftsr scanner export-key` wrote. Blobs are in the bucket.
 *
 * Where network namespaces cannot be made, the rig falls back to plain processes (a link cut freezes them) and
 * says so: in the title below, on the console, and in the first case's assertion.
 */
describe(`scan work on hosts B and C, one of them lost mid-scan (${MODE.isolation === 'netns' ? 'hosts in network namespaces' : `FALLBACK, no network namespaces: ${MODE.reason}`})`, () => {
  let rig: MultiHostRig;
  let issueId: string;

  beforeAll(async () => {
    rig = await MultiHostRig.start('multi-host', ['B', 'C']);
    // Without namespaces there is no link to slow down: B's scan then lasts as long as the CPUs make it.
    if (!rig.host('B').limitLink(B_LINK_MBIT)) console.warn('TEST RIG FALLBACK: B has no link to slow down; its scans run at CPU speed');
    await rig.startWriter();
    issueId = await rig.rig.createIssue();
  }, 60_000);
  afterAll(() => rig?.close());
  // Each case starts with no scanner anywhere, so that the big file's scan can only land on B.
  afterEach(() => Promise.all(['B', 'C'].map((h) => rig.host(h).killAll())));

  /** A big file whose last lines hold the planted secrets: only a scan that reached the end finds them. */
  const bigWithPlantedTail = async (tag: string) => {
    const chunks: Buffer[] = [];
    for await (const chunk of repeatedLog(BIG, 'sparse')) chunks.push(chunk as Buffer);
    return Buffer.concat([...chunks, logWithPlantedSecret(tag)]);
  };

  /** Uploads the big file with only host B's scanner up, and resolves once B has scanned part of it. */
  async function scanningOnB(tag: string): Promise<string> {
    const b = rig.host('B');
    const [worker, content] = await Promise.all([rig.startScanner('B'), bigWithPlantedTail(tag)]);
    if (b.namespace) expect(b.namespaceOf(worker.child.pid as number)).toBe(b.namespace);
    const big = await rig.rig.upload(issueId, `${tag}.log`, content);
    expect(big.status).toBe(202);
    const id = big.body.id as string;
    await waitFor(
      async () => rig.rig.scanOf(id).scan_progress >= MID_SCAN_PCT,
      60_000,
      () => `B never got into the scan of ${id}: ${JSON.stringify(rig.rig.scanOf(id))}\n${rig.logs()}`,
    );
    return id;
  }

  /** C comes up (a scanner that replaces the lost one) while more uploads arrive; resolves with their ids. */
  async function cTakesOver(tag: string): Promise<string[]> {
    const [, small] = await Promise.all([rig.startScanner('C'), uploadPlanted(rig.rig, issueId, tag, 3)]);
    return small;
  }

  it("runs hosts B and C in network namespaces of their own that reach A only over their cable, and can hide A's files from them, or says that it could not", async () => {
    expect({ isolation: rig.net.isolation, reason: rig.net.fallbackReason }).toEqual({
      isolation: MODE.isolation,
      reason: MODE.isolation === 'netns' ? undefined : expect.any(String),
    });
    if (rig.net.isolation === 'processes') return;
    const b = rig.host('B');
    const redis = rig.redisAddress;
    expect(await b.canReach(redis.address, redis.port)).toBe(true);
    await b.cutLink();
    try {
      expect(await b.canReach(redis.address, redis.port, 500)).toBe(false);
      expect(await rig.host('C').canReach(redis.address, redis.port)).toBe(true);
    } finally {
      await b.restoreLink();
    }
    expect(await b.canReach(redis.address, redis.port)).toBe(true);

    // What the scanner role needs: a host that cannot see A's data directory at all.
    const database = join(rig.rig.dataDir, 'tftsr.db');
    const sees = async (host: TestHost) => {
      const child = host.run(process.execPath, ['-e', `process.exit(require('fs').existsSync(${JSON.stringify(database)}) ? 0 : 1)`], {});
      return ((await once(child, 'exit')) as [number | null])[0] === 0;
    };
    expect(b.hide([rig.rig.dataDir])).toBe(true);
    try {
      expect([await sees(b), await sees(rig.host('C')), existsSync(database)]).toEqual([false, true, true]);
    } finally {
      b.hide([]);
    }
    expect(await sees(b)).toBe(true);
  }, 60_000);

  it('finishes on host C with one complete set of spans per file after host B is SIGKILLed mid-scan', async () => {
    const bigId = await scanningOnB('killed-b');
    expect((await rig.host('B').killAll()).length).toBeGreaterThan(0);
    expect(rig.rig.scanOf(bigId).scan_state).toBe('running');

    const ids = [bigId, ...(await cTakesOver('after-kill'))];
    await rig.rig.waitProcessed(ids, 60_000);
    await rig.waitJobEnded('C', 'scan_blob', bigId);
    expect(rig.committedOn('scan_blob', bigId)).toEqual(['C']);
    // A's end-of-job line follows its commit and the review index (a second read of the file on A).
    await rig.waitJobEnded('A', 'detect_pii', bigId);
    expect(rig.committedOn('detect_pii', bigId)).toEqual(['A']);
    expect(missingPlantedSpans(rig.rig, ids)).toEqual([]);
    await rig.postChecks();
  }, 120_000);

  it('finishes on host C with one complete set of spans per file when host B loses its link mid-scan, and B back on the network changes nothing', async () => {
    const bigId = await scanningOnB('cut-b');
    const b = rig.host('B');
    await b.cutLink();
    let restored = false;
    try {
      expect(rig.rig.scanOf(bigId).scan_state).toBe('running');
      const ids = [bigId, ...(await cTakesOver('during-cut'))];
      await rig.rig.waitProcessed(ids, 60_000);
      await rig.waitJobEnded('C', 'scan_blob', bigId);
      expect(rig.committedOn('scan_blob', bigId)).toEqual(['C']);

      // B comes back with its run of the scan still open: that run must end without a second effect (no result).
      await b.restoreLink();
      restored = true;
      const bRuns = await rig.waitJobEnded('B', 'scan_blob', bigId);
      expect(bRuns.map((r) => r.outcome)).not.toContain('completed');
      expect(rig.committedOn('scan_blob', bigId)).toEqual(['C']);
      await rig.waitJobEnded('A', 'detect_pii', bigId);
      expect(rig.committedOn('detect_pii', bigId)).toEqual(['A']);
      expect(missingPlantedSpans(rig.rig, ids)).toEqual([]);
      await rig.postChecks();
    } finally {
      if (!restored) await b.restoreLink();
    }
  }, 120_000);
});
