import IORedis, { Cluster } from 'ioredis';
import type { ClusterOptions, Redis, RedisOptions } from 'ioredis';
import type { RedisTopology } from '@tftsr/config/redis-topology';

export type RedisRole = 'producer' | 'worker';

/** A connection to one server or to a Cluster: BullMQ and our own commands take either. */
export type RedisClient = Redis | Cluster;

const retryDelay = (attempt: number) => Math.min(attempt * 200, 2000);

/**
 * The one way every process connects to Redis, whatever the topology (RedisTopology, from the config).
 * The worker's connection waits for Redis forever (BullMQ requires `maxRetriesPerRequest: null` for
 * blocking commands). The API's producer must fail fast instead of hanging a request while Redis is down.
 */
export function createRedisConnection(topology: RedisTopology, role: RedisRole, extra: RedisOptions = {}): RedisClient {
  const roleOptions: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2000, commandTimeout: 2000 };
  const options: RedisOptions = { ...roleOptions, retryStrategy: retryDelay, lazyConnect: false, ...extra };
  switch (topology.kind) {
    case 'standalone':
      return new IORedis(topology.url, options);
    case 'sentinel':
      return new IORedis({
        ...options,
        sentinels: topology.sentinels,
        name: topology.name,
        role: 'master',
        username: topology.username,
        password: topology.password,
        sentinelPassword: topology.sentinelPassword,
        // A failover disconnects the old primary's clients (Sentinel sends it CLIENT KILL), so each reconnects through
        // the sentinels. Should one still reach a demoted primary, its writes fail READONLY: reconnect then too.
        // Not ioredis' `failoverDetector`: its +switch-master can land while the client is reconnecting, which ends
        // the client for good (status `end`, seen in test/system/redis-ha).
        reconnectOnError: (err) => (/^READONLY/.test(err.message) ? 1 : false),
      });
    case 'cluster':
      return new Cluster(topology.nodes, clusterOptions(options, topology));
  }
}

/** ioredis splits the options: the offline queue and retries are the cluster's, the rest each node's. */
function clusterOptions(options: RedisOptions, topology: Extract<RedisTopology, { kind: 'cluster' }>): ClusterOptions {
  const { enableOfflineQueue, retryStrategy, lazyConnect, enableReadyCheck, enableAutoPipelining, ...node } = options;
  return {
    enableOfflineQueue,
    enableAutoPipelining,
    enableReadyCheck,
    lazyConnect,
    clusterRetryStrategy: (attempt) => (retryStrategy ? retryStrategy(attempt) : retryDelay(attempt)),
    // Reads go to the primaries: a replica may not have a job the relay just added.
    scaleReads: 'master',
    redisOptions: { ...node, username: topology.username, password: topology.password },
  };
}

/** The servers holding data: the primaries of a Cluster, or the one server a plain connection talks to. */
export function dataNodes(redis: RedisClient): Redis[] {
  return redis instanceof Cluster ? redis.nodes('master') : [redis];
}

/**
 * BullMQ only behaves correctly when Redis never evicts keys: evicted locks mean jobs run twice. On a Cluster
 * every primary must say so; the first one that does not is reported.
 */
export async function readEvictionPolicy(redis: RedisClient): Promise<string | null> {
  const policies = await Promise.all(
    dataNodes(redis).map(async (node) => /^maxmemory_policy:(\S+)/m.exec(await node.info('memory'))?.[1] ?? null),
  );
  if (policies.length === 0) return null;
  const other = policies.findIndex((p) => p !== REQUIRED_EVICTION_POLICY);
  return other < 0 ? REQUIRED_EVICTION_POLICY : policies[other];
}

export const REQUIRED_EVICTION_POLICY = 'noeviction';

/** One line when the connection is lost and one when it is back, instead of one per reconnect attempt. */
export function logConnectionChanges(redis: RedisClient, logger: { log(m: string): void; warn(m: string): void }, role: string): void {
  let down = false;
  redis.on('error', (err: Error) => {
    if (down) return;
    down = true;
    logger.warn(`redis (${role}) unavailable: ${err.message}; retrying`);
  });
  redis.on('ready', () => {
    if (down) logger.log(`redis (${role}) connection restored`);
    down = false;
  });
}
