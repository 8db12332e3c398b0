import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { findFreePort } from '../../scripts/private-redis';
import type { Cleanup } from './cleanup';
import type { BenchOptions } from './context';

/** dist/apps, seen from dist/bench/support. */
const DIST_APPS = join(__dirname, '..', '..', 'apps');
const READY_TIMEOUT_MS = 90_000;
const OUTPUT_TAIL = 16 * 1024;

export const ADMIN_KEY = `tftsr_bench-${'k'.repeat(32)}`;
export const DB_KEY = 'benchmark passphrase, not a secret';

export type AppKind = 'api' | 'worker';

export interface StackOptions {
  dataDir: string;
  redisUrl: string;
  queuePrefix: string;
  apps: AppKind[];
  /** Spawns each app through `taskset -c` with this list, when pinning is on. */
  command: (cmd: string, args: string[]) => [string, string[]];
  /**
   * The run's options: `profileDir` runs the apps with --cpu-prof into `<dir>/api` and `<dir>/worker` (one file per
   * thread, written when it exits); `appEnv` is added to their environment, over the bench's own variables.
   */
  bench: Pick<BenchOptions, 'profileDir' | 'appEnv'>;
}

export interface AppStack {
  base: string;
  pid(kind: AppKind): number;
  output(kind: AppKind): string;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The apps' own variables, as `npm start` passes them on, plus limits that would otherwise refuse the load. */
function appEnv(options: StackOptions, port: number): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    TFTSR_DATA_DIR: options.dataDir,
    TFTSR_DB_KEY: DB_KEY,
    REDIS_URL: options.redisUrl,
    TFTSR_QUEUE_PREFIX: options.queuePrefix,
    TFTSR_BOOTSTRAP_API_KEY: ADMIN_KEY,
    PORT: String(port),
    HOST: '127.0.0.1',
    // The per-key rate limit exists to stop abuse; the load generator is one key sending on purpose.
    TFTSR_RATE_LIMIT_BURST: '100000000',
    TFTSR_RATE_LIMIT_PER_MINUTE: '100000000',
    TFTSR_RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '100000000',
    ...options.bench.appEnv,
  };
}

/** Starts the API (and the worker) from dist as real processes and waits for /health/ready. */
export async function startStack(options: StackOptions, cleanup: Cleanup): Promise<AppStack> {
  const port = await findFreePort();
  const base = `http://127.0.0.1:${port}`;
  const env = appEnv(options, port);
  const procs = new Map<AppKind, { child: ChildProcess; tail: () => string }>();
  for (const kind of options.apps) {
    // One directory per app: Node names each thread's profile (the worker's scan threads write their own).
    const profileDir = options.bench.profileDir;
    const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, kind)}`] : [];
    const [cmd, args] = options.command(process.execPath, [...nodeArgs, join(DIST_APPS, kind, 'src', 'main.js')]);
    const child = cleanup.track(spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] }));
    procs.set(kind, { child, tail: captureTail(child) });
  }
  const output = (kind: AppKind) => procs.get(kind)?.tail() ?? '';
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const dead = [...procs].find(([, p]) => p.child.exitCode !== null || p.child.signalCode !== null);
    if (dead) throw new Error(`the ${dead[0]} exited while starting:\n${output(dead[0])}`);
    if ((await fetch(`${base}/health/ready`).catch(() => null))?.ok) break;
    if (Date.now() > deadline)
      throw new Error(`the API did not become ready in ${READY_TIMEOUT_MS / 1000} s:\n${output('api')}\n${output('worker')}`);
    await sleep(100);
  }
  return {
    base,
    output,
    pid(kind) {
      const pid = procs.get(kind)?.child.pid;
      if (pid === undefined) throw new Error(`no ${kind} process`);
      return pid;
    },
    async stop() {
      await Promise.all([...procs.values()].map(({ child }) => cleanup.stop(child)));
    },
  };
}

function captureTail(child: ChildProcess): () => string {
  let tail = '';
  const keep = (d: Buffer) => (tail = (tail + d.toString()).slice(-OUTPUT_TAIL));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => tail;
}

/** Runs `fn` on a started stack; on failure prints the apps' last output (the reason for a 500 is only there). */
export async function withStack<T>(stack: AppStack, kinds: AppKind[], fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    for (const kind of kinds) process.stderr.write(`--- last output of the ${kind}:\n${stack.output(kind).slice(-6000)}\n`);
    throw err;
  } finally {
    await stack.stop();
  }
}

/** Peak resident memory of a live process (VmHWM), in MiB. */
export function peakRssMib(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM:'));
  const kb = Number(/(\d+)/.exec(line ?? '')?.[1]);
  if (!Number.isFinite(kb)) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return kb / 1024;
}

export async function apiJson<T = any>(base: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 500)}`);
  return (text ? JSON.parse(text) : null) as T;
}

/** Streams `body` as one log file; resolves with the new file's id once the API has accepted it (202). */
export async function uploadLog(base: string, issueId: string, name: string, body: Readable | Buffer): Promise<string> {
  const res = await fetch(`${base}/v1/issues/${issueId}/log-files?file_name=${encodeURIComponent(name)}`, {
    method: 'POST',
    body: body instanceof Readable ? Readable.toWeb(body) : body,
    duplex: 'half',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/octet-stream' },
  });
  if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${(await res.text()).slice(0, 500)}`);
  return ((await res.json()) as { id: string }).id;
}

/** Polls the file until it is ready (hash and spans committed); throws if processing failed or took too long. */
export async function waitReady(base: string, fileId: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const file = await apiJson<{ status: string; failure_reason?: string }>(base, 'GET', `/v1/log-files/${fileId}`);
    if (file.status === 'ready') return;
    if (file.status === 'failed') throw new Error(`processing failed: ${file.failure_reason}`);
    if (Date.now() > deadline) throw new Error(`file ${fileId} not ready after ${timeoutMs / 1000} s (status ${file.status})`);
    await sleep(50);
  }
}
