import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from '@tftsr/db';
import { openDatabase } from '@tftsr/db';
import type { PrivateRedis } from '../../scripts/private-redis';
import { findFreePort, startPrivateRedis } from '../../scripts/private-redis';
import { FakeAzureDevOps } from '../../test/support/fakes/fake-azure-devops';
import { FakeConfluence } from '../../test/support/fakes/fake-confluence';
import { FakeServiceNow } from '../../test/support/fakes/fake-servicenow';

/** dist/apps, seen from dist/bench/soak. */
const DIST_APPS = join(__dirname, '..', '..', 'apps');
export const ADMIN_KEY = `tftsr_soak-${'k'.repeat(32)}`;
export const DB_KEY = 'soak benchmark passphrase, not a secret';
export const SERVICES = ['confluence', 'servicenow', 'azuredevops'] as const;
export type Service = (typeof SERVICES)[number];
/** Credentials the fakes accept; throwaway values. */
const CREDENTIALS = { confluence: 'soak-confluence-token', servicenow: 'soak-servicenow-password', azuredevops: 'soak-ado-pat' };

export interface Fakes {
  confluence: FakeConfluence;
  servicenow: FakeServiceNow;
  azuredevops: FakeAzureDevOps;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Everything the soak runs against: a private Redis (it is restarted mid-run), the three integration fakes,
 * and the API and the worker as real processes from dist/. NODE_ENV=test, because only test mode lets an
 * integration point at a loopback fake (TFTSR_TEST_INTEGRATION_ORIGINS).
 */
export class SoakWorld {
  readonly dir = mkdtempSync(join(tmpdir(), 'tftsr-soak-'));
  readonly dataDir = join(this.dir, 'data');
  base = '';
  redis!: PrivateRedis;
  fakes!: Fakes;
  api!: ChildProcess;
  worker!: ChildProcess;
  private env: NodeJS.ProcessEnv = {};
  private reader: Db | undefined;
  private readonly output = { api: '', worker: '' };

  async start(): Promise<void> {
    mkdirSync(this.dataDir, { recursive: true });
    this.redis = await startPrivateRedis({ dataDir: this.dir });
    this.fakes = {
      confluence: await FakeConfluence.start({ auth: { email: 'ops@example.com', token: CREDENTIALS.confluence } }),
      servicenow: await FakeServiceNow.start({ username: 'svc-tftsr', password: CREDENTIALS.servicenow }),
      azuredevops: await FakeAzureDevOps.start({ pat: CREDENTIALS.azuredevops }),
    };
    const port = await findFreePort();
    this.base = `http://127.0.0.1:${port}`;
    this.env = {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      TFTSR_DATA_DIR: this.dataDir,
      TFTSR_DB_KEY: DB_KEY,
      REDIS_URL: this.redis.url,
      TFTSR_QUEUE_PREFIX: `soak-${Date.now().toString(36)}`,
      TFTSR_BOOTSTRAP_API_KEY: ADMIN_KEY,
      PORT: String(port),
      HOST: '127.0.0.1',
      TFTSR_RATE_LIMIT_BURST: '100000000',
      TFTSR_RATE_LIMIT_PER_MINUTE: '100000000',
      TFTSR_RATE_LIMIT_PER_ADDRESS_PER_MINUTE: '100000000',
      TFTSR_TEST_INTEGRATION_ORIGINS: Object.values(this.fakes)
        .map((f) => f.origin)
        .join(','),
      TFTSR_WORKER_LOCK_MS: '5000',
      TFTSR_WORKER_METRICS_PORT: '0',
      TFTSR_SHUTDOWN_GRACE_MS: '10000',
    };
    this.api = this.spawnApp('api');
    this.worker = this.spawnApp('worker');
    await this.waitReady(90_000);
    await this.configureIntegrations();
  }

  private spawnApp(kind: 'api' | 'worker'): ChildProcess {
    const child = spawn(process.execPath, [join(DIST_APPS, kind, 'src', 'main.js')], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: Buffer) => (this.output[kind] = (this.output[kind] + d.toString()).slice(-20_000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    return child;
  }

  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await fetch(`${this.base}/health/ready`).catch(() => null))?.ok) {
      if (Date.now() > deadline) throw new Error(`not ready after ${timeoutMs} ms\n${this.tail()}`);
      await sleep(200);
    }
  }

  /** Redis stopped (SIGTERM, AOF flushed), left down for `downMs`, then started on the same port and directory. */
  async restartRedis(downMs: number): Promise<void> {
    const port = this.redis.port;
    await this.redis.stop();
    await sleep(downMs);
    this.redis = await startPrivateRedis({ dataDir: this.dir, port });
  }

  /** What an operator's restart does: SIGTERM (running jobs get the grace period), then a new process. */
  async restartWorker(): Promise<void> {
    this.worker.kill('SIGTERM');
    if (this.worker.exitCode === null && this.worker.signalCode === null) await once(this.worker, 'exit');
    this.worker = this.spawnApp('worker');
  }

  rssMib(kind: 'api' | 'worker'): number | null {
    const pid = (kind === 'api' ? this.api : this.worker).pid;
    try {
      const line = readFileSync(`/proc/${pid}/status`, 'utf8')
        .split('\n')
        .find((l) => l.startsWith('VmRSS:'));
      // A process that has exited but not been reaped yet has a status file without VmRSS.
      const kib = Number(/(\d+)/.exec(line ?? '')?.[1]);
      return Number.isFinite(kib) ? kib / 1024 : null;
    } catch {
      return null;
    }
  }

  db(): Db {
    this.reader ??= openDatabase({ path: join(this.dataDir, 'tftsr.db'), key: DB_KEY, readonly: true });
    return this.reader;
  }

  count(sql: string, ...args: unknown[]): number {
    return (
      this.db()
        .prepare(sql)
        .get(...args) as { n: number }
    ).n;
  }

  async call<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: (text && (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text) as T,
    };
  }

  private async configureIntegrations(): Promise<void> {
    const configs: Record<Service, Record<string, unknown>> = {
      confluence: { base_url: this.fakes.confluence.baseUrl, space_key: 'ENG', username: 'ops@example.com' },
      servicenow: { base_url: this.fakes.servicenow.baseUrl, username: 'svc-tftsr' },
      azuredevops: { base_url: this.fakes.azuredevops.baseUrl, project_name: 'Fabrikam Fiber' },
    };
    for (const service of SERVICES) {
      for (const [path, body] of [
        [`/v1/integrations/${service}/config`, configs[service]],
        [`/v1/integrations/${service}/credential`, { secret: CREDENTIALS[service] }],
      ] as const) {
        const answer = await this.call('PUT', path, body);
        if (answer.status !== 200) throw new Error(`PUT ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      }
    }
  }

  tail(): string {
    return `--- api\n${this.output.api.slice(-4000)}\n--- worker\n${this.output.worker.slice(-4000)}`;
  }

  async stop(): Promise<void> {
    this.reader?.close();
    for (const child of [this.api, this.worker]) {
      if (child && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    }
    await this.redis?.stop();
    await Promise.all(Object.values(this.fakes ?? {}).map((f) => f.close()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
