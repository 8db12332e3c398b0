import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { createRedisConnection, JOB_QUEUE, logConnectionChanges, JobName, QUEUE_NAMES, readEvictionPolicy, REQUIRED_EVICTION_POLICY } from '../../../libs/jobs/src';
import { WorkerConfig } from './config/worker.config';
import { JobHandler, QUEUE_PROCESSORS, QueueProcessor } from './processor';

/** Owns the BullMQ workers: checks that every job has a handler, runs them, and stops them gracefully. */
@Injectable()
export class WorkerRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WorkerRunner');
  private readonly workers: Worker[] = [];
  private readonly connections: Redis[] = [];

  constructor(
    private readonly config: WorkerConfig,
    @Inject(QUEUE_PROCESSORS) private readonly processors: QueueProcessor[],
  ) {
    assertEveryJobHasAHandler(processors);
  }

  async onApplicationBootstrap(): Promise<void> {
    for (const processor of this.processors) {
      const connection = createRedisConnection(this.config.REDIS_URL, 'worker');
      this.connections.push(connection);
      logConnectionChanges(connection, this.logger, `worker ${processor.queue}`);
      const worker = new Worker(processor.queue, (job) => this.run(processor, job), {
        connection,
        prefix: this.config.TFTSR_QUEUE_PREFIX,
        concurrency: this.config.TFTSR_WORKER_CONCURRENCY,
        lockDuration: this.config.TFTSR_WORKER_LOCK_MS,
        stalledInterval: this.config.TFTSR_WORKER_LOCK_MS,
        ...(processor.backoffStrategy ? { settings: { backoffStrategy: processor.backoffStrategy } } : {}),
      });
      // Connection errors are logged once by logConnectionChanges; the rest are worth a line each.
      worker.on('error', (err) => {
        if (!/ECONNREFUSED|ECONNRESET|ETIMEDOUT|Connection is closed/.test(err.message)) this.logger.warn(`worker ${processor.queue}: ${err.message}`);
      });
      worker.on('stalled', (jobId) => this.logger.warn(`job ${jobId} on ${processor.queue} stalled; it will run again`));
      this.workers.push(worker);
    }
    await this.warnOnEvictionPolicy();
    this.logger.log(`processing queues: ${this.processors.map((p) => p.queue).join(', ')}`);
  }

  async onApplicationShutdown(): Promise<void> {
    const grace = this.config.TFTSR_SHUTDOWN_GRACE_MS;
    const closing = Promise.all(this.workers.map((w) => w.close()));
    const finished = await Promise.race([closing.then(() => true), delay(grace).then(() => false)]);
    if (!finished) {
      // Past the grace period, running jobs are abandoned: their locks expire and BullMQ retries them.
      this.logger.warn(`jobs still running after ${grace} ms; leaving them to stall and be retried`);
      await Promise.all(this.workers.map((w) => w.close(true)));
    }
    // The connections are ours, not BullMQ's, so closing the workers leaves them open.
    for (const connection of this.connections) connection.disconnect();
  }

  private async run(processor: QueueProcessor, job: Job): Promise<unknown> {
    const handler = processor.handlers[job.name as JobName] as JobHandler<JobName>;
    const started = Date.now();
    this.logger.log(`job start queue=${processor.queue} name=${job.name} id=${job.id} attempt=${job.attemptsMade + 1}`);
    try {
      const result = await handler(job as never);
      this.logger.log(`job end queue=${processor.queue} name=${job.name} id=${job.id} outcome=completed duration_ms=${Date.now() - started}`);
      return result;
    } catch (err) {
      this.logger.warn(
        `job end queue=${processor.queue} name=${job.name} id=${job.id} outcome=failed duration_ms=${Date.now() - started} reason=${(err as Error).message}`,
      );
      throw err;
    }
  }

  private async warnOnEvictionPolicy(): Promise<void> {
    try {
      const policy = await readEvictionPolicy(this.connections[0]);
      if (policy !== REQUIRED_EVICTION_POLICY) {
        this.logger.warn(`Redis maxmemory-policy is ${policy}; BullMQ needs ${REQUIRED_EVICTION_POLICY} or jobs can be lost or run twice`);
      }
    } catch (err) {
      this.logger.warn(`could not read Redis maxmemory-policy yet: ${(err as Error).message}`);
    }
  }
}

export function assertEveryJobHasAHandler(processors: QueueProcessor[]): void {
  const missing = (Object.keys(JOB_QUEUE) as JobName[]).filter((name) => {
    const processor = processors.find((p) => p.queue === JOB_QUEUE[name]);
    return !processor?.handlers[name];
  });
  const unknownQueues = QUEUE_NAMES.filter((q) => !processors.some((p) => p.queue === q));
  if (missing.length || unknownQueues.length) {
    throw new Error(`refusing to start: no handler for job(s) ${missing.join(', ') || '-'}; no processor for queue(s) ${unknownQueues.join(', ') || '-'}`);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
