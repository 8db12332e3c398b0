import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import IORedis from 'ioredis';
import { deriveKey } from '@tftsr/db';
import { S3BlobStore } from '@tftsr/storage';
import type { HostProcess, TestHost } from '../../support/netns';
import { RIG_OWNER_ENV, rigTitleMark, TestNetwork } from '../../support/netns';
import { freePort, waitFor } from '../../support/app-processes';
import type { TestS3 } from '../../support/s3-server';
import { startTestS3 } from '../../support/s3-server';
import { TEST_KEY } from '../../support/temp-dir';
import { FaultRig } from '../faults/fault-rig';
import type { PostCheckReport } from '../support/post-checks';

/** The bucket prefix of the rig's blobs. */
const PREFIX = 'multi-host/';

/** One run of a job on one worker, read from its end-of-job log line. */
export interface JobRun {
  host: string;
  outcome: string;
  job_name: string;
  log_file_id?: string;
}

/**
 * Issue 19's hosts as a fault rig: host A (the test's own network namespace) runs Redis, the API and s3rver on
 * the bridge's address, with the data directory; other hosts run workers and reach A only over their cable.
 * `rig` is the usual FaultRig (uploads, the test's read connection, the post-checks) on A's data directory.
 */
export class MultiHostRig {
  readonly rig: FaultRig;
  readonly workers: HostProcess[] = [];
  private redisPort = 0;

  private constructor(
    readonly net: TestNetwork,
    readonly s3: TestS3,
    label: string,
  ) {
    this.rig = new FaultRig(label);
  }

  static async start(label: string, hosts: string[]): Promise<MultiHostRig> {
    const net = await TestNetwork.create(hosts);
    let s3: TestS3 | undefined;
    let self: MultiHostRig | undefined;
    try {
      s3 = await startTestS3('tftsr-multi-host', { address: net.hub.address });
      self = new MultiHostRig(net, s3, label);
      await self.startRedis();
      self.rig.apiAddress = net.hub.address;
      await self.rig.startApi({ ...self.s3.env(PREFIX), [RIG_OWNER_ENV]: String(process.pid) });
      return self;
    } catch (err) {
      // Nothing may outlive a failed start: the namespaces and the processes in them least of all.
      await (self ? self.close() : Promise.all([net.close(), s3?.close()]));
      throw err;
    }
  }

  get hub(): TestHost {
    return this.net.hub;
  }

  host(name: string): TestHost {
    return this.net.host(name);
  }

  /** Redis on A, on the bridge's address only: the other hosts reach it over their cable or not at all. */
  private async startRedis(): Promise<void> {
    const address = this.hub.address;
    this.redisPort = await freePort(address);
    const dir = join(this.rig.temp.dir, 'redis');
    mkdirSync(dir, { recursive: true });
    const args = ['--bind', address, '--port', String(this.redisPort), '--dir', dir, '--logfile', join(dir, 'redis.log')];
    // Not protected mode: the other hosts connect from their own addresses, on a bridge only this machine has.
    args.push('--protected-mode', 'no', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction');
    args.push('--proc-title-template', `{title} {listen-addr} ${rigTitleMark()}`);
    this.hub.run('redis-server', args, { PATH: process.env.PATH ?? '' });
    const ping = async () => {
      const client = new IORedis({
        host: address,
        port: this.redisPort,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      try {
        await client.connect();
        return (await client.ping()) === 'PONG';
      } finally {
        client.disconnect();
      }
    };
    await waitFor(ping, 10_000, () => `redis-server on ${address}:${this.redisPort} never answered`);
    this.rig.redisUrl = `redis://${address}:${this.redisPort}`;
  }

  get redisAddress(): { address: string; port: number } {
    return { address: this.hub.address, port: this.redisPort };
  }

  /**
   * A's DB-writer worker (TFTSR_WORKER_ROLE=writer): every queue and every database write; the reading and scanning
   * of files goes to the scanners on the other hosts. Resolves once its queues are being processed.
   */
  async startWriter(): Promise<HostProcess> {
    return this.startOn(
      'A',
      this.hub,
      this.rig.workerEnv({ ...this.s3.env(PREFIX), TFTSR_LOG_LEVEL: 'info', TFTSR_WORKER_ROLE: 'writer' }),
    );
  }

  /**
   * A scanner on `host` (TFTSR_WORKER_ROLE=scanner): no database key, A's data directory hidden (an empty tmpfs over
   * it, with namespaces), a data directory of its own, the blob key from `tftsr scanner export-key`, the bucket on A.
   */
  async startScanner(host: string): Promise<HostProcess> {
    this.keyFile ??= await this.exportKey();
    const target = this.host(host);
    target.hide([this.rig.dataDir]);
    const env = {
      ...this.s3.env(PREFIX),
      TFTSR_WORKER_ROLE: 'scanner',
      TFTSR_BLOB_KEY_FILE: this.keyFile,
      TFTSR_DATA_DIR: join(target.dir, 'scanner-data'),
      REDIS_URL: this.rig.redisUrl,
      TFTSR_QUEUE_PREFIX: this.rig.prefix,
      TFTSR_WORKER_LOCK_MS: '2000',
      TFTSR_SHUTDOWN_GRACE_MS: '2000',
      // Info, not the tests' warn: the start line and each job's end line (with its outcome) are what the cases read.
      TFTSR_LOG_LEVEL: 'info',
    };
    return this.startOn(host, target, env);
  }

  private keyFile: string | undefined;

  private async exportKey(): Promise<string> {
    const file = join(this.rig.temp.dir, 'scanner.key');
    const exported = await this.rig.tftsr(['scanner', 'export-key', '--out', file]);
    if (exported.code !== 0) throw new Error(`tftsr scanner export-key failed: ${exported.output}`);
    return file;
  }

  private async startOn(name: string, host: TestHost, env: Record<string, string>): Promise<HostProcess> {
    const worker = host.startApp('worker', env);
    this.workers.push(worker);
    const exited = once(worker.child, 'exit').then(() => true);
    await waitFor(
      async () => {
        if (await Promise.race([exited, Promise.resolve(false)])) throw new Error(`the worker on ${name} exited`);
        return /processing queues: /.test(worker.output());
      },
      30_000,
      () => `the worker on ${name} never started\n${worker.output().slice(-3000)}`,
    );
    return worker;
  }

  /** Every job run the workers logged the end of, with the host it ran on. */
  jobRuns(): JobRun[] {
    return this.workers.flatMap((worker) =>
      worker
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{') && line.includes('"job_name"'))
        .map((line) => JSON.parse(line) as { outcome?: string; job_name: string; log_file_id?: string })
        .filter((run) => typeof run.outcome === 'string')
        .map((run) => ({ host: worker.host, outcome: run.outcome as string, job_name: run.job_name, log_file_id: run.log_file_id })),
    );
  }

  /** Waits for `host`'s end-of-job line for `job` on `fileId` (it follows the job's commit); returns its runs. */
  async waitJobEnded(host: string, job: string, fileId: string, timeoutMs = 30_000): Promise<JobRun[]> {
    const runs = () => this.jobRuns().filter((r) => r.host === host && r.job_name === job && r.log_file_id === fileId);
    return waitFor(
      async () => (runs().length > 0 ? runs() : false),
      timeoutMs,
      () => `no run of ${job} for ${fileId} ended on ${host}\n${this.logs()}`,
    );
  }

  /** The hosts whose run of `job` for `fileId` committed its effect. */
  committedOn(job: string, fileId: string): string[] {
    return this.jobRuns()
      .filter((r) => r.job_name === job && r.log_file_id === fileId && r.outcome === 'completed')
      .map((r) => r.host);
  }

  /** The post-checks, reading the blobs from the bucket. */
  async postChecks(): Promise<PostCheckReport> {
    const blobs = new S3BlobStore(this.s3.settings(PREFIX), deriveKey(TEST_KEY, 'blob-encryption'));
    try {
      return await this.rig.postChecks(blobs);
    } finally {
      blobs.destroy();
    }
  }

  logs(): string {
    const tail = (name: string, text: string) => `--- ${name}\n${text.slice(-2500)}`;
    return [tail('api (A)', this.rig.api?.output() ?? ''), ...this.workers.map((w, i) => tail(`worker ${i} (${w.host})`, w.output()))].join(
      '\n',
    );
  }

  async close(): Promise<void> {
    await this.net.close();
    await this.rig.close();
    await this.s3.close();
  }
}
