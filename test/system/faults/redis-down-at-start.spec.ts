import { getJson, waitFor } from '../../support/app-processes';
import { FaultRig, smallLog } from './fault-rig';

/**
 * Catalogue 4b (issue 7, fault 5): the API and the worker start before Redis. Neither crash-loops; the API
 * reports not ready with the reason and still accepts uploads into the outbox; once Redis starts, both come
 * good on their own and every accepted upload is processed once.
 */
describe('Redis down when the apps start', () => {
  let rig: FaultRig;

  beforeAll(() => (rig = new FaultRig('redis-late')));
  afterAll(() => rig.close());

  it('both apps come good when Redis starts, and uploads accepted meanwhile are processed once', async () => {
    await rig.reserveRedisPort();
    const worker = rig.startWorker();
    await rig.startApi();

    const ready = await getJson(`${rig.base}/health/ready`);
    expect([ready.status, ready.body.checks.redis.ok]).toEqual([503, false]);
    expect(ready.body.checks.redis.reason).toMatch(/redis is unreachable/);
    const issueId = await rig.createIssue();
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const answer = await rig.upload(issueId, `early-${i}.log`, smallLog(`early-${i}`));
      expect(answer.status).toBe(202);
      ids.push(answer.body.id);
    }
    expect(rig.count(`SELECT count(*) AS n FROM outbox WHERE state = 'pending'`)).toBe(10);
    expect([rig.api!.child.exitCode, worker.child.exitCode]).toEqual([null, null]);

    await rig.startRedis();
    await rig.waitReady(30_000);
    await rig.waitProcessed(ids, 60_000);
    await waitFor(
      async () => rig.count(`SELECT count(*) AS n FROM outbox WHERE state != 'done'`) === 0,
      10_000,
      () => 'outbox rows left open',
    );
    expect([rig.api!.child.exitCode, worker.child.exitCode]).toEqual([null, null]);
    await rig.postChecks();
  }, 120_000);
});
