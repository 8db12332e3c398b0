import { Queue } from 'bullmq';
import IORedis from 'ioredis';
import { waitFor } from '../../support/app-processes';
import { FaultRig, denseLog, smallLog } from './fault-rig';

const BIG = 32 * 1024 * 1024;

/**
 * Catalogue 6 (issue 7, fault 4), the busy half: test/system/ingest-faults.spec.ts flushes Redis while jobs
 * wait and no worker runs; here the worker is in the middle of a job and others wait behind it when every
 * key goes. The reconciler finds the dispatched rows whose jobs vanished and sends them again; the running
 * job, whose lock and key are gone, still commits its effect once.
 */
describe('Redis loses its data under a busy worker', () => {
  let rig: FaultRig;

  beforeAll(async () => {
    rig = new FaultRig('redis-flush');
    await rig.startRedis();
    // One job at a time, so the small files' jobs are really waiting in Redis behind the big scan.
    rig.startWorker({ TFTSR_WORKER_CONCURRENCY: '1', TFTSR_WORKER_INGEST_CONCURRENCY: '1' });
    await rig.startApi();
    await rig.waitReady();
  });
  afterAll(() => rig.close());

  it('after FLUSHALL mid-scan, the running job and every waiting one complete exactly once', async () => {
    const issueId = await rig.createIssue();
    const big = await rig.upload(issueId, 'big.log', await denseLog(BIG));
    expect(big.status).toBe(202);
    await rig.waitScanning(big.body.id, 5);
    const small: string[] = [];
    for (let i = 0; i < 10; i += 1) small.push((await rig.upload(issueId, `waiting-${i}.log`, smallLog(`waiting-${i}`))).body.id);
    await waitFor(
      async () => rig.count(`SELECT count(*) AS n FROM outbox WHERE state = 'pending'`) === 0,
      20_000,
      () => 'the outbox never dispatched',
    );

    const queue = new Queue('ingest', { connection: { url: rig.redisUrl }, prefix: rig.prefix });
    expect(await queue.getWaitingCount()).toBeGreaterThan(0);
    await queue.close();
    const client = new IORedis(rig.redisUrl);
    await client.flushall();
    client.disconnect();
    expect(rig.scanOf(big.body.id).scan_state).toBe('running');

    await rig.waitProcessed([big.body.id, ...small], 120_000);
    await rig.postChecks();
  }, 180_000);
});
