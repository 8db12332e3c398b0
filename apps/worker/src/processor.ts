import type { BackoffStrategy, Job } from 'bullmq';
import type { JobName, JobPayloads, QueueName } from '@tftsr/jobs';

export type JobHandler<N extends JobName> = (job: Job<JobPayloads[N], unknown, N>) => Promise<unknown>;

/** One processor per queue; `handlers` routes on job.name. The runner refuses to boot if a job has none. */
export interface QueueProcessor {
  readonly queue: QueueName;
  readonly handlers: { [N in JobName]?: JobHandler<N> };
  /** For jobs whose backoff type is custom (e.g. `publish`): the delay before the next attempt. */
  readonly backoffStrategy?: BackoffStrategy;
}

export const QUEUE_PROCESSORS = Symbol('QUEUE_PROCESSORS');
