import { join } from 'node:path';
import { FaultRig } from '../faults/fault-rig';
import { missingPlantedSpans, uploadPlanted } from './ingestion-smoke';
import { type RedisProcess, RedisServers } from './redis-servers';

/**
 * Issue 19, Redis high availability: the ingestion smoke test on a 3-master Redis Cluster (`redis-server
 * --cluster-enabled`, `redis-cli --cluster create`) on ports picked at run time. REDIS_URL points at a port
 * nothing listens on, so the apps can only have worked through TFTSR_REDIS_CLUSTER_NODES.
 */
describe('ingestion on a 3-master Redis Cluster', () => {
  let rig: FaultRig;
  let servers: RedisServers;
  let nodes: RedisProcess[];

  beforeAll(async () => {
    rig = new FaultRig('redis-cluster');
    servers = new RedisServers(join(rig.temp.dir, 'redis'));
    nodes = await servers.startCluster(3);
    await rig.reserveRedisPort();
    // One seed node is enough for ioredis to learn the rest; giving only one proves it.
    const env = { TFTSR_REDIS_CLUSTER_NODES: `127.0.0.1:${nodes[1].port}` };
    rig.startWorker(env);
    await rig.startApi(env);
    await rig.waitReady();
  }, 90_000);

  afterAll(async () => {
    await servers?.stopAll();
    await rig?.close();
  });

  it('hashes and scans each upload once, with its planted secrets found and one complete set of spans', async () => {
    const issueId = await rig.createIssue();
    const ids = await uploadPlanted(rig, issueId, 'cluster', 8);
    await rig.waitProcessed(ids, 60_000);
    expect(missingPlantedSpans(rig, ids)).toEqual([]);
    await rig.postChecks();
  }, 90_000);

  it('keeps every key under the prefix in one hash slot, on one primary: the prefix was hash-tagged', async () => {
    const tagged = `{${rig.prefix}}`;
    const keysByNode = await Promise.all(nodes.map((n) => servers.keys(n.port, `${tagged}:*`)));
    const holding = keysByNode.filter((keys) => keys.length > 0);
    expect(holding).toHaveLength(1);
    // BullMQ's queues and the address limits both live under it.
    for (const part of ['ingest', 'rate-limit']) expect(holding[0].some((key) => key.startsWith(`${tagged}:${part}:`))).toBe(true);
    const slots = new Set(await Promise.all(holding[0].map((key) => servers.cli(nodes[0].port, 'cluster', 'keyslot', key))));
    expect(slots.size).toBe(1);
    // Nothing was written under the bare prefix, which would spread a queue's keys over the slots.
    for (const n of nodes) expect(await servers.keys(n.port, `${rig.prefix}*`)).toEqual([]);
  });
});
