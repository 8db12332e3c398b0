import { FaultRig, denseLog, smallLog } from './fault-rig';

const BIG = 32 * 1024 * 1024;

/**
 * Catalogue 5 (issue 7, fault 3): a full Redis restart (SIGTERM, AOF kept, same port) under a running API
 * and worker, once while the worker is idle and once in the middle of a long scan. BullMQ workers have
 * been reported to stop consuming after a restart (bullmq #2466, #2964, #3185); whatever keeps ours going
 * (reconnects, the watchdog), the observable promise is that new jobs run and the busy job completes once.
 */
describe('Redis restarted under the running apps', () => {
  let rig: FaultRig;
  let issueId: string;

  beforeAll(async () => {
    rig = new FaultRig('redis-restart');
    await rig.startRedis();
    rig.startWorker();
    await rig.startApi();
    await rig.waitReady();
    issueId = await rig.createIssue();
  });
  afterAll(() => rig.close());

  const uploadSmall = async (tag: string, n: number): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < n; i += 1) {
      const answer = await rig.upload(issueId, `${tag}-${i}.log`, smallLog(`${tag}-${i}`));
      expect(answer.status).toBe(202);
      ids.push(answer.body.id);
    }
    return ids;
  };

  async function restartRedis(): Promise<void> {
    await rig.stopRedis();
    await rig.startRedis();
  }

  it('while idle: jobs enqueued after it is back run', async () => {
    await rig.waitProcessed(await uploadSmall('before', 3), 30_000);
    await restartRedis();
    await rig.waitReady();
    await rig.waitProcessed(await uploadSmall('after-idle', 3), 30_000);
    await rig.postChecks();
  }, 90_000);

  it('while busy: the running scan completes once, and jobs enqueued after it is back run', async () => {
    const big = await rig.upload(issueId, 'big.log', await denseLog(BIG));
    expect(big.status).toBe(202);
    await rig.waitScanning(big.body.id, 5);

    await rig.stopRedis();
    // The restart must land inside the job, or this test proves nothing about a busy worker.
    expect(rig.scanOf(big.body.id).scan_state).toBe('running');
    await rig.startRedis();
    await rig.waitReady();

    const after = await uploadSmall('after-busy', 3);
    await rig.waitProcessed([big.body.id, ...after], 120_000);
    await rig.postChecks();
  }, 180_000);
});
