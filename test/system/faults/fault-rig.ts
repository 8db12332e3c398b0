import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Agent } from 'undici';
import type { ApiKeyScope, Db } from '@tftsr/db';
import { ApiKeyRepository, generateApiKey, openDatabase } from '@tftsr/db';
import type { BlobStore } from '@tftsr/storage';
import { repeatedLog } from '../../../bench/support/log-corpus';
import type { PrivateRedis } from '../../../scripts/private-redis';
import { startPrivateRedis } from '../../../scripts/private-redis';
import type { RunningApp } from '../../support/app-processes';
import { appEnv, freePort, REDIS_URL, startApp, waitFor } from '../../support/app-processes';
import { factory } from '../../support/factory';
import { makeTempDir, TEST_KEY, uniqueQueuePrefix } from '../../support/temp-dir';
import type { PostCheckReport } from '../support/post-checks';
import { expectIntactAfterFault } from '../support/post-checks';

export const ADMIN_KEY = `tftsr_faults-${'k'.repeat(32)}`;
const CLI = join(__dirname, '..', '..', '..', 'bin', 'tftsr.js');

/** Short enough that a killed worker's job comes back within seconds instead of BullMQ's 30 s. */
const WORKER_ENV = {
  TFTSR_WORKER_LOCK_MS: '2000',
  TFTSR_SHUTDOWN_GRACE_MS: '2000',
  TFTSR_WATCHDOG_INTERVAL_MS: '500',
  TFTSR_WATCHDOG_STUCK_MS: '3000',
  TFTSR_WATCHDOG_RECONNECT_MS: '3000',
  TFTSR_WORKER_METRICS_PORT: '0',
};

const API_ENV = {
  HOST: '127.0.0.1',
  TFTSR_BOOTSTRAP_API_KEY: ADMIN_KEY,
  TFTSR_RATE_LIMIT_BURST: '100000',
  TFTSR_OUTBOX_RELAY_INTERVAL_MS: '200',
  TFTSR_OUTBOX_RECONCILE_INTERVAL_MS: '500',
  TFTSR_OUTBOX_STALE_MS: '1000',
};

export interface Answer {
  status: number;

  body: any;
}

/**
 * One fault test's world: a data directory, the API and the worker as real processes (so they can be
 * killed), and either a private Redis (for tests that stop, restart or flush it) or the shared one under a
 * unique prefix. It remembers every upload that got a 2xx, for the post-checks.
 */
export class FaultRig {
  readonly temp = makeTempDir('tftsr-fault-');
  readonly dataDir = join(this.temp.dir, 'data');
  readonly prefix: string;
  readonly accepted: string[] = [];
  redis: PrivateRedis | undefined;
  redisUrl = REDIS_URL;
  api: RunningApp | undefined;
  worker: RunningApp | undefined;
  base = '';
  /** Where the API listens: another address than loopback when other test hosts must reach it. */
  apiAddress = '127.0.0.1';
  private apiPort = 0;
  private redisPort = 0;
  private agent = new Agent({ keepAliveTimeout: 1000 });
  private reader: Db | undefined;

  constructor(label: string) {
    this.prefix = uniqueQueuePrefix(label);
    mkdirSync(this.dataDir, { recursive: true });
  }

  /** A private Redis, on the same port and AOF directory at each start, so a restart keeps its data. */
  async startRedis(): Promise<void> {
    this.redis = await startPrivateRedis({ dataDir: this.temp.dir, port: this.redisPort || undefined });
    this.redisPort = this.redis.port;
    this.redisUrl = this.redis.url;
  }

  async stopRedis(): Promise<void> {
    await this.redis?.stop();
    this.redis = undefined;
  }

  /** For tests where Redis comes up after the apps: a port nothing listens on yet. */
  async reserveRedisPort(): Promise<void> {
    this.redisPort = await freePort();
    this.redisUrl = `redis://127.0.0.1:${this.redisPort}`;
  }

  /** What the API and every worker of this rig share: the data directory, the key, Redis and the queue prefix. */
  sharedEnv(): Record<string, string> {
    return appEnv({ dataDir: this.dataDir, queuePrefix: this.prefix }, { REDIS_URL: this.redisUrl });
  }

  /** Starts the API on the same port as before (so the base URL survives restarts); resolves once it answers. */
  async startApi(env: Record<string, string> = {}): Promise<RunningApp> {
    this.apiPort ||= await freePort(this.apiAddress);
    this.base = `http://${this.apiAddress}:${this.apiPort}`;
    await this.agent.close();
    this.agent = new Agent({ keepAliveTimeout: 1000 });
    const api = startApp('api', { ...this.sharedEnv(), ...API_ENV, HOST: this.apiAddress, PORT: String(this.apiPort), ...env });
    this.api = api;
    await waitFor(
      async () => (await fetch(`${this.base}/health/live`)).ok,
      30_000,
      () => api.output(),
    );
    return api;
  }

  /** The worker's environment in this rig, for a worker started elsewhere (another test host). */
  workerEnv(env: Record<string, string> = {}): Record<string, string> {
    return { ...this.sharedEnv(), ...WORKER_ENV, ...env };
  }

  startWorker(env: Record<string, string> = {}): RunningApp {
    this.worker = startApp('worker', this.workerEnv(env));
    return this.worker;
  }

  async waitReady(timeoutMs = 30_000): Promise<void> {
    await waitFor(
      async () => (await fetch(`${this.base}/health/ready`)).status === 200,
      timeoutMs,
      () => this.logs(),
    );
  }

  async call(method: string, path: string, body?: unknown, key = ADMIN_KEY): Promise<Answer> {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      dispatcher: this.agent,
    });
    const text = await response.text();
    const json = (response.headers.get('content-type') ?? '').includes('json');
    return { status: response.status, body: json && text ? JSON.parse(text) : text };
  }

  /** An issue that takes many files (the default limit is small). */
  async createIssue(): Promise<string> {
    const created = await this.call('POST', '/v1/issues', factory.issue());
    if (created.status !== 201) throw new Error(`creating an issue answered ${created.status}: ${JSON.stringify(created.body)}`);
    const limit = await this.call('PUT', '/v1/settings/uploads.max_files_per_issue', { value: 10000 });
    if (limit.status !== 200) throw new Error(`raising the file limit answered ${limit.status}`);
    return created.body.id;
  }

  /** Uploads raw bytes; a 2xx is remembered as accepted. A connection error rejects. */
  async upload(issueId: string, name: string, content: Buffer | ReadableStream<Uint8Array>): Promise<Answer> {
    const response = await fetch(`${this.base}/v1/issues/${issueId}/log-files?file_name=${encodeURIComponent(name)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/octet-stream' },
      body: content,
      duplex: 'half',
      dispatcher: this.agent,
    });
    const text = await response.text();
    const answer = { status: response.status, body: text ? JSON.parse(text) : null };
    if (answer.status >= 200 && answer.status < 300) this.accepted.push(answer.body.id);
    return answer;
  }

  /** A key with these scopes, written straight into the database (admin does not include pii:reveal). */
  createKey(name: string, scopes: ApiKeyScope[]): string {
    const key = generateApiKey();
    new ApiKeyRepository(this.db()).insertKey(name, key, scopes);
    return key;
  }

  /** The built `tftsr` tool on this rig's data directory, as an operator runs it; `env` adds or overrides. */
  async tftsr(
    args: string[],
    env: Record<string, string> = {},
    onOutput?: (text: string) => void,
  ): Promise<{ code: number | null; signal: string | null; output: string }> {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', TFTSR_DATA_DIR: this.dataDir, TFTSR_DB_KEY: TEST_KEY, ...env },
    });
    let output = '';
    const take = (d: Buffer) => {
      output += d.toString();
      onOutput?.(output);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    return { code, signal, output };
  }

  /** A read connection of the test's own, opened on first use. */
  db(): Db {
    this.reader ??= openDatabase({ path: join(this.dataDir, 'tftsr.db'), key: TEST_KEY });
    return this.reader;
  }

  closeDb(): void {
    this.reader?.close();
    this.reader = undefined;
  }

  count(sql: string, ...args: unknown[]): number {
    return (
      this.db()
        .prepare(sql)
        .get(...args) as { n: number }
    ).n;
  }

  readyCount(ids: readonly string[]): number {
    if (ids.length === 0) return 0;
    return this.count(
      `SELECT count(*) AS n FROM log_file_processing WHERE hash_state = 'done' AND scan_state = 'done' AND log_file_id IN (${ids.map(() => '?').join(',')})`,
      ...ids,
    );
  }

  async waitProcessed(ids: readonly string[], timeoutMs: number): Promise<void> {
    await waitFor(
      async () => this.readyCount(ids) === ids.length,
      timeoutMs,
      () => `${this.readyCount(ids)} of ${ids.length} processed\n${this.logs()}`,
    );
  }

  scanOf(id: string): { scan_state: string; scan_progress: number } {
    return this.db().prepare('SELECT scan_state, scan_progress FROM log_file_processing WHERE log_file_id = ?').get(id) as {
      scan_state: string;
      scan_progress: number;
    };
  }

  /** Waits until the worker is part-way through scanning a large file (progress is recorded from 8 MiB up). */
  async waitScanning(id: string, atLeastPct: number): Promise<void> {
    await waitFor(
      async () => this.scanOf(id).scan_progress >= atLeastPct,
      60_000,
      () => `scan of ${id}: ${JSON.stringify(this.scanOf(id))}\n${this.logs()}`,
    );
  }

  /** The last lines of both processes, for failure messages. */
  logs(): string {
    return `--- api\n${this.api?.output().slice(-3000) ?? ''}\n--- worker\n${this.worker?.output().slice(-3000) ?? ''}`;
  }

  /** Integrity, page HMACs, audit chain, and one complete set of spans per accepted upload. */
  async postChecks(blobs?: BlobStore): Promise<PostCheckReport> {
    return expectIntactAfterFault({ dataDir: this.dataDir, key: TEST_KEY, accepted: this.accepted, blobs });
  }

  async close(): Promise<void> {
    this.closeDb();
    await Promise.all([this.api?.stop('SIGKILL'), this.worker?.stop('SIGKILL')]);
    await this.stopRedis();
    await this.agent.close();
    this.temp.remove();
  }
}

/** Log lines with a few kinds of PII, distinct per file so that no two files hash alike. */
export function smallLog(tag: string, lines = 20): Buffer {
  const out: string[] = [];
  for (let i = 0; i < lines; i += 1) {
    out.push(`${tag} line ${i}: login ok for user${i}@example.org from 203.0.113.${i % 250} card 4111 1111 1111 1111`);
  }
  return Buffer.from(`${out.join('\n')}\n`);
}

/** `bytes` of the benchmark's dense corpus (most lines hold PII): about 15 MB/s to scan, so a scan lasts seconds. */
export async function denseLog(bytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of repeatedLog(bytes, 'dense')) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
