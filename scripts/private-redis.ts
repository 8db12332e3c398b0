/** The launcher's Redis helper: is a Redis answering at REDIS_URL, and if not, a private redis-server. */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import Redis, { ReplyError } from 'ioredis';
import type { ExitStatus } from './processes';
import { describeExit, isRunning, waitForExit } from './processes';

const REDIS_STOP_MS = 10_000;

export interface RedisTarget {
  host: string;
  port: number;
  tls: boolean;
  username?: string;
  password?: string;
}

export type PingResult = { ok: true } | { ok: false; answered: boolean; reason: string };

export interface PrivateRedis {
  url: string;
  port: number;
  dir: string;
  exited: Promise<ExitStatus>;
  /** SIGTERM, so Redis flushes its AOF; SIGKILL if it has not exited after a while. */
  stop(): Promise<ExitStatus>;
  kill(signal: NodeJS.Signals): void;
}

/** Error messages never echo the URL: it may carry a password. */
export function parseRedisUrl(url: string): RedisTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('REDIS_URL is not a valid URL (expected redis://host:port)');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new Error(`REDIS_URL must start with redis:// or rediss://, not ${parsed.protocol}//`);
  }
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1',
    port: parsed.port === '' ? 6379 : Number(parsed.port),
    tls: parsed.protocol === 'rediss:',
    username: decodeURIComponent(parsed.username) || undefined,
    password: decodeURIComponent(parsed.password) || undefined,
  };
}

export function describeRedis(target: RedisTarget): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `${target.tls ? 'rediss' : 'redis'}://${host}:${target.port}`;
}

/**
 * AUTH (when the URL has a password) then PING, on one connection that is never retried. `answered` tells a
 * server that refused (an error reply: fix the URL or the server) from none at all (start a private one).
 */
export async function pingRedis(target: RedisTarget, timeoutMs = 1_000): Promise<PingResult> {
  const client = new Redis({
    host: target.host,
    port: target.port,
    username: target.username,
    password: target.password,
    tls: target.tls ? { servername: net.isIP(target.host) ? undefined : target.host } : undefined,
    lazyConnect: true,
    enableReadyCheck: false,
    disableClientInfo: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // Failures reach the awaited calls below; without a listener ioredis would also print them.
  client.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<PingResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, answered: false, reason: `no answer within ${timeoutMs} ms` }), timeoutMs);
  });
  const ping = async (): Promise<PingResult> => {
    try {
      await client.connect();
      const reply = await client.ping();
      return reply === 'PONG' ? { ok: true } : { ok: false, answered: true, reason: `unexpected reply ${String(reply)}` };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, answered: error instanceof ReplyError, reason: message.slice(0, 200) };
    }
  };
  try {
    return await Promise.race([ping(), timedOut]);
  } finally {
    clearTimeout(timer);
    // On a socket that is already closed, disconnect() would leave a 2 s timer holding the process.
    if (client.status !== 'end') client.disconnect();
  }
}

/** Another process can take the port between this check and its use; startPrivateRedis then fails loudly. */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not read the port of a listening socket'));
      });
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface PrivateRedisOptions {
  dataDir: string;
  redisServer?: string;
  port?: number;
  readyTimeoutMs?: number;
}

export async function startPrivateRedis(options: PrivateRedisOptions): Promise<PrivateRedis> {
  const dir = path.resolve(options.dataDir, 'redis');
  // Redis writes its files with its own umask; a 0700 directory keeps them to this user.
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const port = options.port ?? (await findFreePort());
  const logFile = path.join(dir, 'redis.log');
  const args = [
    '--bind',
    '127.0.0.1',
    '--port',
    String(port),
    '--daemonize',
    'no',
    '--appendonly',
    'yes',
    '--save',
    '',
    '--maxmemory-policy',
    'noeviction',
    '--dir',
    dir,
    '--logfile',
    logFile,
  ];
  // Its own process group: a Ctrl-C in the terminal must not stop Redis before the apps have drained.
  const child = spawn(options.redisServer ?? 'redis-server', args, { stdio: 'ignore', detached: true });
  let exitStatus: ExitStatus | undefined;
  const exited = waitForExit(child).then((status) => (exitStatus = status));

  const kill = (signal: NodeJS.Signals): void => {
    if (isRunning(child)) child.kill(signal);
  };
  const stop = async (): Promise<ExitStatus> => {
    kill('SIGTERM');
    const timer = setTimeout(() => kill('SIGKILL'), REDIS_STOP_MS);
    const status = await exited;
    clearTimeout(timer);
    return status;
  };

  const target: RedisTarget = { host: '127.0.0.1', port, tls: false };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 10_000);
  for (;;) {
    if (exitStatus !== undefined) {
      throw new Error(`redis-server exited (${describeExit(exitStatus)}) before answering PING; see ${logFile}`);
    }
    if ((await pingRedis(target, 500)).ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not answer PING on port ${port}; see ${logFile}`);
    }
    await sleep(100);
  }
  return { url: `redis://127.0.0.1:${port}`, port, dir, exited, stop, kill };
}
