/**
 * `npm start`: runs the API and the worker on this host, with a private Redis when none answers.
 * A launcher, not an app: its defaults come from libs/config, and its variables are read in readLauncherEnv().
 */
import { accessSync, constants as fsConstants, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { BaseConfig, loadConfig, OperationsConfig, readSecret, SHUTDOWN_KILL_MARGIN_MS } from '@tftsr/config';
import type { PrivateRedis } from './private-redis';
import { describeRedis, parseRedisUrl, pingRedis, startPrivateRedis } from './private-redis';
import { log } from './processes';
import type { AppProcess, Supervisor } from './supervisor';
import { superviseApps } from './supervisor';

const defaults = new BaseConfig();
export const DEFAULT_REDIS_URL = defaults.REDIS_URL;

export interface LauncherEnv {
  redisUrl: string;
  dataDir: string;
  /** The apps' TFTSR_SHUTDOWN_GRACE_MS plus a margin, as compose's stop_grace_period: then SIGKILL. */
  graceMs: number;
  /** Passed on to the apps as is, but for REDIS_URL when a private Redis runs (appsEnv). */
  inherited: NodeJS.ProcessEnv;
}

/**
 * Empty counts as unset, and REDIS_URL may come from REDIS_URL_FILE, as in libs/config; a bad TFTSR_SHUTDOWN_GRACE_MS
 * or an unreadable REDIS_URL_FILE throws its ConfigError, as the apps would.
 */
export function readLauncherEnv(env: NodeJS.ProcessEnv = process.env): LauncherEnv {
  return {
    redisUrl: readSecret(env, 'REDIS_URL') ?? defaults.REDIS_URL,
    dataDir: env.TFTSR_DATA_DIR || defaults.TFTSR_DATA_DIR,
    graceMs: loadConfig(OperationsConfig, env).TFTSR_SHUTDOWN_GRACE_MS + SHUTDOWN_KILL_MARGIN_MS,
    inherited: env,
  };
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

/**
 * The apps' environment: the launcher's own, so they read REDIS_URL or REDIS_URL_FILE as it did; with a private
 * Redis, its URL instead (and no REDIS_URL_FILE, which the apps would refuse beside REDIS_URL).
 */
export function appsEnv(env: LauncherEnv, redis: { url: string; privateRedis?: PrivateRedis }): NodeJS.ProcessEnv {
  if (!redis.privateRedis) return env.inherited;
  const { REDIS_URL_FILE: _ignored, ...rest } = env.inherited;
  return { ...rest, REDIS_URL: redis.url };
}

/** Returns the Redis URL for the apps, with the private Redis when one had to be started. */
export async function connectRedis(env: LauncherEnv): Promise<{ url: string; privateRedis?: PrivateRedis } | undefined> {
  // Sentinel or Cluster: the apps connect through those settings and ignore REDIS_URL, so there is nothing to start.
  if (env.inherited.TFTSR_REDIS_SENTINELS || env.inherited.TFTSR_REDIS_CLUSTER_NODES) {
    log('using the Redis Sentinel or Cluster of TFTSR_REDIS_SENTINELS / TFTSR_REDIS_CLUSTER_NODES');
    return { url: env.redisUrl };
  }
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

  supervisor = superviseApps(apps, { env: appsEnv(env, redis), redis: redis.privateRedis, graceMs: env.graceMs });
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
