import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Job, JobsOptions, Queue } from 'bullmq';
import {
  DEFAULT_JOB_RETENTION,
  JOB_QUEUE,
  jobIdFor,
  jobOptions,
  JobOf,
  JobRetention,
  JobName,
  JobPayloads,
  logConnectionChanges,
  QueueName,
  QUEUE_NAMES,
  RedisClient,
  startDelays,
} from '@tftsr/jobs';
import { DomainError, ErrorCode } from '../common/domain-error';

const CALL_TIMEOUT_MS = 3000;

/** The API's only way into BullMQ. It enqueues and reads; it never processes. */
@Injectable()
export class JobProducer implements OnApplicationShutdown {
  private readonly logger = new Logger('JobProducer');
  private readonly queues: Map<QueueName, Queue>;

  constructor(
    readonly connection: RedisClient,
    prefix: string,
    private readonly retention: JobRetention = DEFAULT_JOB_RETENTION,
  ) {
    this.queues = new Map(QUEUE_NAMES.map((name) => [name, new Queue(name, { connection, prefix })]));
    for (const queue of this.queues.values()) {
      // Without a listener an unreachable Redis becomes an unhandled 'error' event; the connection logs it.
      queue.on('error', () => undefined);
    }
    logConnectionChanges(connection, this.logger, 'producer');
  }

  /** Enqueues with the deterministic id; a duplicate add returns the existing job, it does not throw. */
  async enqueue<N extends JobName>(name: N, payload: JobPayloads[N]): Promise<string> {
    const jobId = jobIdFor(name, payload);
    await this.failFast(() => this.queue(name).add(name, payload, { ...jobOptions(name, this.retention), jobId }));
    return jobId;
  }

  /**
   * Enqueues many jobs with their deterministic ids: one `addBulk` (one round trip) per queue. BullMQ runs the same
   * add script per job as `add`, so a job id already in Redis is kept, not added twice. On a failure some of the
   * jobs may be in Redis already; sending them again is harmless for the same reason. A file's hash job sent with
   * its scan starts a little later (startDelays).
   */
  async enqueueMany(jobs: JobOf[]): Promise<void> {
    const byQueue = new Map<QueueName, { name: JobName; data: JobPayloads[JobName]; opts: JobsOptions }[]>();
    const delays = startDelays(jobs);
    jobs.forEach(({ name, payload }, i) => {
      const opts: JobsOptions = { ...jobOptions(name, this.retention), jobId: jobIdFor(name, payload as never) };
      if (delays[i] > 0) opts.delay = delays[i];
      const list = byQueue.get(JOB_QUEUE[name]) ?? [];
      list.push({ name, data: payload, opts });
      byQueue.set(JOB_QUEUE[name], list);
    });
    for (const [queue, list] of byQueue) await this.failFast(() => (this.queues.get(queue) as Queue).addBulk(list));
  }

  getJob(name: JobName, jobId: string): Promise<Job | undefined> {
    return this.failFast(() => this.queue(name).getJob(jobId));
  }

  /**
   * BullMQ waits for a connection before it sends anything, however the client is configured, so a
   * request would hang while Redis is down. Refuse at once when the connection is not ready, and bound
   * the wait when it drops mid-call.
   */
  private async failFast<T>(call: () => Promise<T>): Promise<T> {
    const unavailable = (reason: string) =>
      new DomainError(ErrorCode.QUEUE_UNAVAILABLE, 'the job queue (Redis) is unavailable; try again shortly', { reason });
    if (this.connection.status !== 'ready') throw unavailable(`redis connection is ${this.connection.status}`);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(unavailable(`no answer within ${CALL_TIMEOUT_MS} ms`)), CALL_TIMEOUT_MS);
    });
    try {
      return await Promise.race([call(), timeout]);
    } catch (err) {
      if (err instanceof DomainError) throw err;
      const message = (err as Error).message;
      // Redis up but full is not Redis down: say which, or the operator looks for an outage that is not there.
      if (/\bOOM\b/.test(message)) {
        throw new DomainError(
          ErrorCode.QUEUE_UNAVAILABLE,
          'the job queue (Redis) is out of memory (maxmemory reached); raise maxmemory or free memory',
          { reason: message },
        );
      }
      throw unavailable(message);
    } finally {
      clearTimeout(timer);
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
