import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { findFreePort } from '../../scripts/private-redis';
import { makeTempDir, TEST_KEY, uniqueQueuePrefix } from './temp-dir';

const DIST = join(__dirname, '..', '..', 'dist', 'apps');

export interface RunningApp {
  child: ChildProcess;
  /** Everything the process printed, for assertions and for failure messages. */
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Runs the compiled API or worker (npm test builds first) as a real process with the given environment.
 * `launcher` runs it through a command that execs it (e.g. `ip netns exec <ns>`), so the pid is still the app's.
 */
export function startApp(
  kind: 'api' | 'worker',
  env: Record<string, string>,
  where: { cwd?: string; launcher?: string[] } = {},
): RunningApp {
  const [file, ...args] = [...(where.launcher ?? []), process.execPath, join(DIST, kind, 'src', 'main.js')];
  const child = spawn(file, args, {
    cwd: where.cwd,
    // Metrics on any free port: several workers run at once in the suite.
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      TFTSR_WORKER_METRICS_PORT: '0',
      TFTSR_RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '1000000',
      TFTSR_AUTH_FAILURES_PER_ADDRESS_PER_MINUTE: '100000',
      // A stop in a hook must fit the hook's minute: a job still running after 10 s is left to stall, as in production.
      TFTSR_SHUTDOWN_GRACE_MS: '10000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  return {
    child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
}

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface AppEnvOptions {
  dataDir: string;
  /** The whole prefix (from uniqueQueuePrefix): processes that must share queues are given the same one. */
  queuePrefix: string;
  /** For the API: it listens on 127.0.0.1 at this port. */
  port?: number;
  /** For the API: its first admin key (TFTSR_BOOTSTRAP_API_KEY). */
  adminKey?: string;
}

/**
 * What an app process on `dataDir` is started with (the test key, the shared Redis, the queue prefix and, for the
 * API, where it listens and its first key), then `overrides`: what is special about the test goes there.
 */
export function appEnv(options: AppEnvOptions, overrides: Record<string, string> = {}): Record<string, string> {
  const { dataDir, queuePrefix, port, adminKey } = options;
  return {
    TFTSR_DATA_DIR: dataDir,
    TFTSR_DB_KEY: TEST_KEY,
    REDIS_URL,
    TFTSR_QUEUE_PREFIX: queuePrefix,
    ...(port === undefined ? {} : { PORT: String(port), HOST: '127.0.0.1' }),
    ...(adminKey === undefined ? {} : { TFTSR_BOOTSTRAP_API_KEY: adminKey }),
    ...overrides,
  };
}

export async function freePort(host?: string): Promise<number> {
  return findFreePort(host);
}

/** Polls until `check` resolves truthy, failing with `describe()` after `timeoutMs`. */
export async function waitFor<T>(check: () => Promise<T | undefined | false>, timeoutMs: number, describe: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- whatever the probe threw, as text
  throw new Error(`timed out after ${timeoutMs} ms: ${describe()}${lastError ? ` (last error: ${String(lastError)})` : ''}`);
}

export async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

export interface RunningStack {
  dataDir: string;
  base: string;
  api: RunningApp;
  worker: RunningApp;
  stop(): Promise<void>;
}

/**
 * The API and the worker as real processes on a fresh encrypted data directory, started together (they race
 * to create and migrate the same file), with `adminKey` as the first key; resolves once /health/ready is 200.
 */
export async function startStack(
  label: string,
  adminKey: string,
  apiEnv: Record<string, string> = {},
  workerEnv: Record<string, string> = {},
): Promise<RunningStack> {
  const temp = makeTempDir();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const shared = { dataDir: temp.dir, queuePrefix: uniqueQueuePrefix(label) };
  const api = startApp('api', appEnv({ ...shared, port, adminKey }, apiEnv));
  const worker = startApp('worker', appEnv(shared, workerEnv));
  await waitFor(
    async () => (await getJson(`${base}/health/ready`)).status === 200,
    30_000,
    () => api.output() + worker.output(),
  );
  return {
    dataDir: temp.dir,
    base,
    api,
    worker,
    async stop() {
      await Promise.all([api.stop(), worker.stop()]);
      temp.remove();
    },
  };
}
