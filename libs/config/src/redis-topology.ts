/** A Redis node or Sentinel address. */
export interface HostPort {
  host: string;
  port: number;
}

/**
 * Where Redis is, as every process connects to it (libs/jobs `createRedisConnection`): one server by URL, a
 * primary found through Sentinel, or a Cluster. Passwords travel here and nowhere else; `describeRedisTopology`
 * is what logs and readiness may show.
 */
export type RedisTopology =
  | { kind: 'standalone'; url: string }
  | { kind: 'sentinel'; sentinels: HostPort[]; name: string; username?: string; password?: string; sentinelPassword?: string }
  | { kind: 'cluster'; nodes: HostPort[]; username?: string; password?: string };

/** The variables the topology is read from; BaseConfig has them, the tests build them directly. */
export interface RedisVariables {
  REDIS_URL: string;
  TFTSR_REDIS_SENTINELS?: string;
  TFTSR_REDIS_SENTINEL_NAME?: string;
  TFTSR_REDIS_SENTINEL_PASSWORD?: string;
  TFTSR_REDIS_CLUSTER_NODES?: string;
  TFTSR_REDIS_USERNAME?: string;
  TFTSR_REDIS_PASSWORD?: string;
}

const DEFAULT_PORT = 6379;
const DEFAULT_SENTINEL_PORT = 26379;

/** `host:port,host:port` (IPv6 in brackets, port optional); the problems name the variable, never a password. */
export function parseHostPorts(value: string, variable: string, defaultPort: number): { nodes: HostPort[]; problems: string[] } {
  const nodes: HostPort[] = [];
  const problems: string[] = [];
  for (const entry of value.split(',').map((e) => e.trim())) {
    const match = /^(\[[0-9a-fA-F:.]+\]|[^:\s[\]]+)(?::(\d{1,5}))?$/.exec(entry);
    const port = match?.[2] === undefined ? defaultPort : Number(match[2]);
    if (!match || port < 1 || port > 65535) {
      problems.push(`${variable}: '${entry}' is not host:port (expected e.g. redis-1:${defaultPort},redis-2:${defaultPort})`);
      continue;
    }
    nodes.push({ host: match[1].replace(/^\[(.*)\]$/, '$1'), port });
  }
  return { nodes, problems };
}

/** The settings that contradict each other or are incomplete; [] when the topology can be built. */
export function redisTopologyProblems(v: RedisVariables): string[] {
  const problems: string[] = [];
  if (v.TFTSR_REDIS_SENTINELS && v.TFTSR_REDIS_CLUSTER_NODES) {
    problems.push(
      'TFTSR_REDIS_SENTINELS and TFTSR_REDIS_CLUSTER_NODES are both set: Redis is reached through Sentinel or as a Cluster, choose one',
    );
  }
  if (v.TFTSR_REDIS_SENTINELS) {
    problems.push(...parseHostPorts(v.TFTSR_REDIS_SENTINELS, 'TFTSR_REDIS_SENTINELS', DEFAULT_SENTINEL_PORT).problems);
    if (!v.TFTSR_REDIS_SENTINEL_NAME) {
      problems.push(
        'TFTSR_REDIS_SENTINEL_NAME: required with TFTSR_REDIS_SENTINELS (the master name the sentinels monitor, e.g. mymaster)',
      );
    }
  } else {
    for (const name of ['TFTSR_REDIS_SENTINEL_NAME', 'TFTSR_REDIS_SENTINEL_PASSWORD'] as const) {
      if (v[name]) problems.push(`${name}: only used with TFTSR_REDIS_SENTINELS, which is not set`);
    }
  }
  if (v.TFTSR_REDIS_CLUSTER_NODES) {
    problems.push(...parseHostPorts(v.TFTSR_REDIS_CLUSTER_NODES, 'TFTSR_REDIS_CLUSTER_NODES', DEFAULT_PORT).problems);
  }
  if (!v.TFTSR_REDIS_SENTINELS && !v.TFTSR_REDIS_CLUSTER_NODES) {
    for (const name of ['TFTSR_REDIS_USERNAME', 'TFTSR_REDIS_PASSWORD'] as const) {
      if (v[name]) {
        problems.push(`${name}: only used with TFTSR_REDIS_SENTINELS or TFTSR_REDIS_CLUSTER_NODES; for one server put it in REDIS_URL`);
      }
    }
  }
  return problems;
}

/** The topology the variables describe; call after `redisTopologyProblems` found none. */
export function redisTopology(v: RedisVariables): RedisTopology {
  const credentials = { username: v.TFTSR_REDIS_USERNAME || undefined, password: v.TFTSR_REDIS_PASSWORD || undefined };
  if (v.TFTSR_REDIS_SENTINELS) {
    return {
      kind: 'sentinel',
      sentinels: parseHostPorts(v.TFTSR_REDIS_SENTINELS, 'TFTSR_REDIS_SENTINELS', DEFAULT_SENTINEL_PORT).nodes,
      name: v.TFTSR_REDIS_SENTINEL_NAME ?? '',
      sentinelPassword: v.TFTSR_REDIS_SENTINEL_PASSWORD || undefined,
      ...credentials,
    };
  }
  if (v.TFTSR_REDIS_CLUSTER_NODES) {
    const { nodes } = parseHostPorts(v.TFTSR_REDIS_CLUSTER_NODES, 'TFTSR_REDIS_CLUSTER_NODES', DEFAULT_PORT);
    return { kind: 'cluster', nodes, ...credentials };
  }
  return { kind: 'standalone', url: v.REDIS_URL };
}

/** Where Redis is, for logs and readiness reasons: addresses only, never a password; and the variable to fix. */
export function describeRedisTopology(topology: RedisTopology): { where: string; variable: string } {
  const list = (nodes: HostPort[]) => nodes.map((n) => `${n.host.includes(':') ? `[${n.host}]` : n.host}:${n.port}`).join(',');
  switch (topology.kind) {
    case 'standalone': {
      const url = new URL(topology.url);
      return { where: `${url.hostname}:${url.port || DEFAULT_PORT}`, variable: 'REDIS_URL' };
    }
    case 'sentinel':
      return { where: `the primary '${topology.name}' of sentinels ${list(topology.sentinels)}`, variable: 'TFTSR_REDIS_SENTINELS' };
    case 'cluster':
      return { where: `the cluster of ${list(topology.nodes)}`, variable: 'TFTSR_REDIS_CLUSTER_NODES' };
  }
}

/**
 * On a Cluster every key of a BullMQ queue must hash to one slot (its Lua scripts touch several keys at once),
 * and so must the keys our own code reads together. A `{…}` hash tag in the prefix does that for all of them;
 * the prefix is wrapped in one unless it already carries a tag. One server and Sentinel keep the prefix as is,
 * so the keys of an existing deployment do not move.
 */
export function effectiveQueuePrefix(prefix: string, topology: RedisTopology): string {
  if (topology.kind !== 'cluster' || hasHashTag(prefix)) return prefix;
  return `{${prefix}}`;
}

/** Redis Cluster's rule: the part between the first `{` and the next `}`, when it is not empty. */
export function hasHashTag(key: string): boolean {
  const open = key.indexOf('{');
  if (open < 0) return false;
  const close = key.indexOf('}', open + 1);
  return close > open + 1;
}
