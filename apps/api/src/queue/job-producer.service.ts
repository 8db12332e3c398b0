import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { JOB_POLICY, JOB_QUEUE, jobIdFor, JobName, JobPayloads, QueueName, QUEUE_NAMES } from '../../../../libs/jobs/src';
import { DomainError, ErrorCode } from '../common/domain-error';

/** The API's only way into BullMQ. It enqueues and reads; it never processes. */
@Injectable()
export class JobProducer implements OnApplicationShutdown {
  private readonly logger = new Logger('JobProducer');
  private readonly queues: Map<QueueName, Queue>;

  constructor(
    readonly connection: Redis,
    prefix: string,
  ) {
    this.queues = new Map(QUEUE_NAMES.map((name) => [name, new Queue(name, { connection, prefix })]));
    for (const queue of this.queues.values()) {
      // Without a listener an unreachable Redis becomes an unhandled 'error' event.
      queue.on('error', (err) => this.logger.warn(`queue ${queue.name}: ${err.message}`));
    }
  }

  /** Enqueues with the deterministic id; a duplicate add returns the existing job, it does not throw. */
  async enqueue<N extends JobName>(name: N, payload: JobPayloads[N]): Promise<string> {
    const jobId = jobIdFor(name, payload);
    try {
      await this.queue(name).add(name, payload, { ...JOB_POLICY[name], jobId });
    } catch (err) {
      throw new DomainError(ErrorCode.QUEUE_UNAVAILABLE, 'the job queue (Redis) is unavailable; try again shortly', {
        reason: (err as Error).message,
      });
    }
    return jobId;
  }

  async getJob(name: JobName, jobId: string): Promise<Job | undefined> {
    try {
      return await this.queue(name).getJob(jobId);
    } catch (err) {
      throw new DomainError(ErrorCode.QUEUE_UNAVAILABLE, 'the job queue (Redis) is unavailable; try again shortly', {
        reason: (err as Error).message,
      });
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    this.connection.disconnect();
  }

  private queue(name: JobName): Queue {
    return this.queues.get(JOB_QUEUE[name]) as Queue;
  }
}
