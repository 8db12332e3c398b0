/**
 * `npm start`: runs the API and the worker on this host, with a private Redis when none answers.
 * A launcher, not an app: Node built-ins only, and its two variables are read in readLauncherEnv().
 */
import type { ChildProcess} from 'node:child_process';
import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants, existsSync, mkdirSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const DEFAULT_DATA_DIR = './data';
/** Same as stop_grace_period in docker-compose.yml. */
const GRACE_MS = 30_000;
const REDIS_STOP_MS = 10_000;

export interface LauncherEnv {
  redisUrl: string;
  dataDir: string;
  /** Passed on to the apps as is, plus REDIS_URL when a private Redis runs. */
  inherited: NodeJS.ProcessEnv;
}

export interface RedisTarget {
  host: string;
  port: number;
  tls: boolean;
  username?: string;
  password?: string;
}

export type PingResult = { ok: true } | { ok: false; answered: boolean; reason: string };

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface PrivateRedis {
  url: string;
  port: number;
  dir: string;
  exited: Promise<ExitStatus>;
  /** SIGTERM, so Redis flushes its AOF; SIGKILL if it has not exited after a while. */
  stop(): Promise<ExitStatus>;
  kill(signal: NodeJS.Signals): void;
}

export interface AppProcess {
  name: string;
  entry: string;
}

export interface Supervisor {
  /** The first call stops the apps gracefully; a second one kills them. */
  shutdown(signal: NodeJS.Signals): void;
  kill(signal: NodeJS.Signals): void;
  /** The launcher's exit code once the apps and the private Redis have stopped. */
  done: Promise<number>;
}

export function log(message: string): void {
  process.stderr.write(`[tftsr] ${message}\n`);
}

export function readLauncherEnv(env: NodeJS.ProcessEnv = process.env): LauncherEnv {
  return {
    redisUrl: env.REDIS_URL || DEFAULT_REDIS_URL,
    dataDir: env.TFTSR_DATA_DIR || DEFAULT_DATA_DIR,
    inherited: env,
  };
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

function encodeCommand(args: string[]): string {
  return `*${args.length}\r\n` + args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('');
}

/** AUTH (when the URL has a password) then PING over one raw connection; every reply to these is one line. */
export function pingRedis(target: RedisTarget, timeoutMs = 1_000): Promise<PingResult> {
  const commands: string[][] = [];
  if (target.password !== undefined) {
    commands.push(target.username ? ['AUTH', target.username, target.password] : ['AUTH', target.password]);
  }
  commands.push(['PING']);

  return new Promise((resolve) => {
    const socket = target.tls
      ? tls.connect({ host: target.host, port: target.port, servername: net.isIP(target.host) ? undefined : target.host })
      : net.connect({ host: target.host, port: target.port });
    let received = '';
    let settled = false;
    const timer = setTimeout(
      () => finish({ ok: false, answered: received !== '', reason: `no answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
    const finish = (result: PingResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };

    socket.once(target.tls ? 'secureConnect' : 'connect', () => socket.write(commands.map(encodeCommand).join('')));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const replies = received.split('\r\n').slice(0, -1);
      const failed = replies.find((reply) => !reply.startsWith('+'));
      if (failed !== undefined) {
        finish({ ok: false, answered: true, reason: failed.replace(/^-/, '').slice(0, 200) });
      } else if (replies.length >= commands.length) {
        const last = replies[commands.length - 1];
        finish(last === '+PONG' ? { ok: true } : { ok: false, answered: true, reason: `unexpected reply ${last}` });
      }
    });
    socket.on('error', (error: Error) => finish({ ok: false, answered: false, reason: error.message }));
    socket.on('close', () => finish({ ok: false, answered: received !== '', reason: 'connection closed' }));
  });
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

export function findOnPath(command: string, pathVariable: string | undefined): string | undefined {
  for (const dir of (pathVariable ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, command);
    try {
      accessSync(candidate, fsConstants.X_OK);
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      continue;
    }
  }
  return undefined;
}

function waitForExit(child: ChildProcess): Promise<ExitStatus> {
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // A failed spawn emits 'error' and never 'exit'.
    child.once('error', (error) => {
      log(`could not run ${child.spawnfile}: ${error.message}`);
      resolve({ code: null, signal: null });
    });
  });
}

function isRunning(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

function describeExit(status: ExitStatus): string {
  return status.signal !== null ? `signal ${status.signal}` : `code ${status.code}`;
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
    '--bind', '127.0.0.1',
    '--port', String(port),
    '--daemonize', 'no',
    '--appendonly', 'yes',
    '--save', '',
    '--maxmemory-policy', 'noeviction',
    '--dir', dir,
    '--logfile', logFile,
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

export interface SuperviseOptions {
  env: NodeJS.ProcessEnv;
  redis?: Pick<PrivateRedis, 'exited' | 'stop' | 'kill'>;
  graceMs?: number;
}

/**
 * Runs the apps until a signal or until one of them (or the private Redis) exits, then stops
 * the rest in order: apps first, Redis last, because the worker needs Redis to finish its job.
 */
export function superviseApps(apps: AppProcess[], options: SuperviseOptions): Supervisor {
  const graceMs = options.graceMs ?? GRACE_MS;
  // Own process groups, so the apps get the launcher's one forwarded signal and not a second from the terminal.
  const running = apps.map((app) => {
    const child = spawn(process.execPath, [app.entry], { stdio: 'inherit', env: options.env, detached: true });
    return { app, child, exited: waitForExit(child) };
  });
  let stopping = false;
  let failed = false;
  let redisGone = false;
  let resolveDone: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (resolveDone = resolve));

  const kill = (signal: NodeJS.Signals): void => {
    for (const { child } of running) if (isRunning(child)) child.kill(signal);
    options.redis?.kill(signal);
  };

  const stopAll = async (signal: NodeJS.Signals): Promise<void> => {
    for (const { child } of running) if (isRunning(child)) child.kill(signal);
    const timer = setTimeout(() => {
      const late = running.filter(({ child }) => isRunning(child)).map(({ app }) => app.name);
      log(`${late.join(' and ')} still running after ${graceMs / 1000}s; killing`);
      for (const { child } of running) if (isRunning(child)) child.kill('SIGKILL');
    }, graceMs);
    const statuses = await Promise.all(running.map(({ exited }) => exited));
    clearTimeout(timer);
    if (options.redis && !redisGone) {
      log('stopping the private Redis');
      const status = await options.redis.stop();
      if (status.code !== 0) log(`the private Redis exited with ${describeExit(status)}`);
    }
    const unclean = statuses.some((status) => status.code !== 0 && status.signal !== signal);
    resolveDone(failed || unclean ? 1 : 0);
  };

  const beginStop = (signal: NodeJS.Signals): void => {
    stopping = true;
    stopAll(signal).catch((error: unknown) => {
      log(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
      kill('SIGKILL');
      resolveDone(1);
    });
  };

  for (const { app, exited } of running) {
    void exited.then((status) => {
      if (stopping) return;
      failed = true;
      const others = running.filter((other) => other.app !== app).map((other) => other.app.name);
      if (options.redis) others.push('the private Redis');
      log(`${app.name} exited unexpectedly (${describeExit(status)}); stopping ${others.join(' and ') || 'nothing else'}`);
      beginStop('SIGTERM');
    });
  }
  void options.redis?.exited.then((status) => {
    redisGone = true;
    if (stopping) return;
    failed = true;
    log(`the private Redis exited unexpectedly (${describeExit(status)}); stopping the apps`);
    beginStop('SIGTERM');
  });

  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log(`${signal} again; killing everything`);
      kill('SIGKILL');
      return;
    }
    log(`${signal}: stopping ${apps.map((app) => app.name).join(' and ')}`);
    beginStop(signal);
  };

  return { shutdown, kill, done };
}

/** Returns the Redis URL for the apps, with the private Redis when one had to be started. */
async function connectRedis(env: LauncherEnv): Promise<{ url: string; privateRedis?: PrivateRedis } | undefined> {
  const target = parseRedisUrl(env.redisUrl);
  const ping = await pingRedis(target);
  if (ping.ok) {
    log(`using Redis at ${describeRedis(target)}`);
    return { url: env.redisUrl };
  }
  if (ping.answered) {
    log(`${describeRedis(target)} answered PING with "${ping.reason}"; fix REDIS_URL or that server`);
    return undefined;
  }
  const redisServer = findOnPath('redis-server', env.inherited.PATH);
  if (redisServer === undefined) {
    log(`no Redis answers at ${describeRedis(target)} (${ping.reason}) and redis-server is not installed.`);
    log('Either install it (apt-get install redis-server) and run npm start again, or run everything with docker compose up.');
    return undefined;
  }
  log(`no Redis answers at ${describeRedis(target)}; starting a private redis-server (data in ${path.resolve(env.dataDir, 'redis')})`);
  const privateRedis = await startPrivateRedis({ dataDir: env.dataDir, redisServer });
  log(`private Redis ready at ${privateRedis.url}`);
  return { url: privateRedis.url, privateRedis };
}

export async function main(): Promise<number> {
  const env = readLauncherEnv();
  const apps: AppProcess[] = [
    { name: 'api', entry: path.join(__dirname, '..', 'apps', 'api', 'src', 'main.js') },
    { name: 'worker', entry: path.join(__dirname, '..', 'apps', 'worker', 'src', 'main.js') },
  ];
  const missing = apps.filter((app) => !existsSync(app.entry));
  if (missing.length > 0) {
    log(`${missing.map((app) => app.entry).join(' and ')} not found; run npm run build first`);
    return 1;
  }

  // Registered before Redis starts: a signal while it starts must still stop it.
  let supervisor: Supervisor | undefined = undefined; // assigned once the apps start; read by onSignal before that
  let early: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (supervisor) supervisor.shutdown(signal);
    else early = signal;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const redis = await connectRedis(env);
  if (redis === undefined) return 1;
  if (early !== undefined) {
    log(`${early} before the apps started; stopping`);
    await redis.privateRedis?.stop();
    return 0;
  }

  supervisor = superviseApps(apps, { env: { ...env.inherited, REDIS_URL: redis.url }, redis: redis.privateRedis });
  const started = supervisor;
  // The children are detached: if the launcher dies of an error, take them down with it.
  process.once('exit', () => started.kill('SIGKILL'));
  return supervisor.done;
}

if (require.main === module) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      log(error instanceof Error ? error.message : String(error));
      process.exitCode = 1;
    },
  );
}
