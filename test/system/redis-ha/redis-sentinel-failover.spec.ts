import { join } from 'node:path';
import { waitFor } from '../../support/app-processes';
import { FaultRig } from '../faults/fault-rig';
import { logWithPlantedSecret, missingPlantedSpans, uploadPlanted } from './ingestion-smoke';
import { type RedisProcess, RedisServers } from './redis-servers';

const MASTER_NAME = 'tftsr-primary';

/**
 * Issue 19, Redis high availability: the ingestion smoke test through Redis Sentinel (a primary, a replica and
 * three sentinels on ports picked at run time), then the primary SIGKILLed while uploads keep coming. Sentinel
 * promotes the replica; the apps find it through the sentinels. A job the old primary had not passed on is
 * gone, so the relay's reconciler must send it again; one that runs twice must still commit once. REDIS_URL
 * points at a port nothing listens on, so the apps can only have worked through TFTSR_REDIS_SENTINELS.
 */
describe('ingestion through Redis Sentinel, with the primary killed mid-run', () => {
  let rig: FaultRig;
  let servers: RedisServers;
  let primary: RedisProcess;
  let replica: RedisProcess;
  let sentinels: RedisProcess[];
  let issueId: string;

  beforeAll(async () => {
    rig = new FaultRig('redis-sentinel');
    servers = new RedisServers(join(rig.temp.dir, 'redis'));
    ({ primary, replica, sentinels } = await servers.startSentinelSet(MASTER_NAME));
    await rig.reserveRedisPort();
    const env = { TFTSR_REDIS_SENTINELS: sentinels.map((s) => `127.0.0.1:${s.port}`).join(','), TFTSR_REDIS_SENTINEL_NAME: MASTER_NAME };
    rig.startWorker(env);
    await rig.startApi(env);
    await rig.waitReady();
    issueId = await rig.createIssue();
  }, 90_000);

  afterAll(async () => {
    await servers?.stopAll();
    await rig?.close();
  });

  it('hashes and scans uploads through the primary the sentinels name', async () => {
    const ids = await uploadPlanted(rig, issueId, 'sentinel', 4);
    await rig.waitProcessed(ids, 30_000);
    expect(missingPlantedSpans(rig, ids)).toEqual([]);
    await rig.postChecks();
  }, 60_000);

  it('loses nothing when the primary is SIGKILLed while uploads are accepted: each 2xx upload completes exactly once', async () => {
    const accepted: { id: string; at: number }[] = [];
    const refused: string[] = [];
    let stop = false;
    // Two uploaders, back to back, for the whole run: jobs are being added and taken when the primary dies.
    const uploader = async (lane: number) => {
      for (let i = 0; !stop; i += 1) {
        const tag = `failover-${lane}-${i}`;
        const answer = await rig.upload(issueId, `${tag}.log`, logWithPlantedSecret(tag));
        if (answer.status === 202) accepted.push({ id: answer.body.id, at: Date.now() });
        else refused.push(`${answer.status} ${JSON.stringify(answer.body)}`);
      }
    };
    const lanes = [uploader(0), uploader(1)];
    try {
      const before = () => `only ${accepted.length} uploads accepted before the kill\n${rig.logs()}`;
      await waitFor(async () => accepted.length >= 10, 30_000, before);
      // A primary the sentinels had already given up on (a stall on a loaded machine) would make this test prove nothing.
      expect(await servers.primaryPort(sentinels[0], MASTER_NAME)).toBe(primary.port);
      const killedAt = Date.now();
      servers.kill(primary);
      const promoted = async () => (await servers.primaryPort(sentinels[0], MASTER_NAME)) === replica.port;
      await waitFor(promoted, 30_000, () => 'the sentinels never promoted the replica');
      const promotedAt = Date.now();
      // Uploads do not need Redis (they go through the outbox), so they must keep being accepted through the failover.
      const after = () => accepted.filter((a) => a.at > promotedAt).length;
      await waitFor(
        async () => after() >= 10,
        30_000,
        () => `only ${after()} uploads accepted after the failover\n${rig.logs()}`,
      );
      const meanwhile = accepted.filter((a) => a.at > killedAt && a.at <= promotedAt).length;
      const took = promotedAt - killedAt;
      process.stdout.write(`failover: replica promoted ${took} ms after the kill; ${meanwhile} uploads accepted meanwhile\n`);
    } finally {
      stop = true;
      await Promise.all(lanes);
    }
    expect(refused).toEqual([]);
    const ids = accepted.map((a) => a.id);
    await rig.waitProcessed(ids, 60_000);
    expect(missingPlantedSpans(rig, ids)).toEqual([]);
    await rig.waitReady(30_000);
    await rig.postChecks();
  }, 150_000);
});
