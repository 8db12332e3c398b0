import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import IORedis from 'ioredis';
import { findOnPath } from '../../../scripts/start';
import { freePort, waitFor } from '../../support/app-processes';

const run = promisify(execFile);

/** A redis-server (or sentinel) this test started, on a port picked free at run time. */
export interface RedisProcess {
  port: number;
  child: ChildProcess;
  logFile: string;
}

/**
 * Redis servers on loopback ports under one directory: a Cluster or a Sentinel set, as operators run them.
 * Every process is a child of the test, and `stopAll` SIGKILLs each one it started and waits for its exit.
 */
export class RedisServers {
  private readonly started: RedisProcess[] = [];

  constructor(private readonly dir: string) {}

  /** `redis-cli --cluster create` over `masters` fresh nodes, no replicas; resolves once every node says cluster_state:ok. */
  async startCluster(masters: number): Promise<RedisProcess[]> {
    const nodes: RedisProcess[] = [];
    for (let i = 0; i < masters; i += 1) {
      // The bus port is given too: its default, port + 10000, may be taken on a busy machine.
      const bus = await freePort();
      const args = ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'];
      args.push('--cluster-node-timeout', '10000', '--cluster-port', String(bus));
      nodes.push(await this.startServer(`cluster-${i}`, args));
    }
    const addresses = nodes.map((n) => `127.0.0.1:${n.port}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 });
    for (const node of nodes) {
      const ok = async () => /cluster_state:ok/.test(await this.cli(node.port, 'cluster', 'info'));
      await waitFor(ok, 20_000, () => `cluster node ${node.port} never reached cluster_state:ok`);
    }
    return nodes;
  }

  /**
   * A primary, one replica and three sentinels (quorum 2) that call the primary down after 1 s. Resolves once
   * every sentinel knows the replica and the other two sentinels: before that a failover cannot happen.
   */
  async startSentinelSet(name: string): Promise<{ primary: RedisProcess; replica: RedisProcess; sentinels: RedisProcess[] }> {
    const primary = await this.startServer('primary', []);
    const replica = await this.startServer('replica', ['--replicaof', '127.0.0.1', String(primary.port)]);
    const sentinels: RedisProcess[] = [];
    for (let i = 0; i < 3; i += 1) {
      const port = await freePort();
      const dir = join(this.dir, `sentinel-${i}`);
      mkdirSync(dir, { recursive: true });
      const config = join(dir, 'sentinel.conf');
      // Sentinel rewrites its own config file as it learns the topology, so each gets a writable one.
      writeFileSync(
        config,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${primary.port} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 10000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      sentinels.push(this.spawnSentinel(port, config, join(dir, 'sentinel.log')));
    }
    for (const sentinel of sentinels) {
      await waitFor(
        async () => {
          const replicas = (await this.sentinelCommand(sentinel.port, 'replicas', name)) as unknown[];
          const others = (await this.sentinelCommand(sentinel.port, 'sentinels', name)) as unknown[];
          return replicas.length === 1 && others.length === 2;
        },
        30_000,
        () => `sentinel ${sentinel.port} never saw the replica and the other sentinels`,
      );
    }
    return { primary, replica, sentinels };
  }

  /** The port of the primary a sentinel names now. */
  async primaryPort(sentinel: RedisProcess, name: string): Promise<number> {
    const [, port] = (await this.sentinelCommand(sentinel.port, 'get-master-addr-by-name', name)) as [string, string];
    return Number(port);
  }

  kill(server: RedisProcess): void {
    server.child.kill('SIGKILL');
  }

  async stopAll(): Promise<void> {
    await Promise.all(
      this.started.map(async ({ child }) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGKILL');
        await once(child, 'exit');
      }),
    );
  }

  async cli(port: number, ...args: string[]): Promise<string> {
    const client = new IORedis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await client.connect();
      return String(await client.call(args[0], ...args.slice(1)));
    } finally {
      client.disconnect();
    }
  }

  /** KEYS on one server: a test's handful of keys, never a production tool. */
  async keys(port: number, pattern: string): Promise<string[]> {
    const client = new IORedis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await client.connect();
      return await client.keys(pattern);
    } finally {
      client.disconnect();
    }
  }

  private async sentinelCommand(port: number, ...args: string[]): Promise<unknown> {
    const client = new IORedis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await client.connect();
      return await client.call('sentinel', ...args);
    } finally {
      client.disconnect();
    }
  }

  private async startServer(label: string, extra: string[]): Promise<RedisProcess> {
    const port = await freePort();
    const dir = join(this.dir, label);
    mkdirSync(dir, { recursive: true });
    const logFile = join(dir, 'redis.log');
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--logfile', logFile];
    args.push('--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction', ...extra);
    const server = this.track({ port, child: spawn('redis-server', args, { stdio: 'ignore' }), logFile });
    const answers = async () => (await this.cli(port, 'ping')) === 'PONG';
    await waitFor(answers, 10_000, () => `redis-server ${label} on ${port} never answered PING; see ${logFile}`);
    return server;
  }

  /** Debian's redis-sentinel when installed; else redis-server in sentinel mode, which is the same program. */
  private spawnSentinel(port: number, config: string, logFile: string): RedisProcess {
    const binary = findOnPath('redis-sentinel', process.env.PATH);
    const args = binary ? [config, '--logfile', logFile] : [config, '--sentinel', '--logfile', logFile];
    return this.track({ port, child: spawn(binary ?? 'redis-server', args, { stdio: 'ignore' }), logFile });
  }

  private track(server: RedisProcess): RedisProcess {
    this.started.push(server);
    return server;
  }
}
