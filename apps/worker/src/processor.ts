import type { Job } from 'bullmq';
import { JobName, JobPayloads, QueueName } from '../../../libs/jobs/src';

export type JobHandler<N extends JobName> = (job: Job<JobPayloads[N], unknown, N>) => Promise<unknown>;

/** One processor per queue; `handlers` routes on job.name. The runner refuses to boot if a job has none. */
export interface QueueProcessor {
  readonly queue: QueueName;
  readonly handlers: { [N in JobName]?: JobHandler<N> };
}

export const QUEUE_PROCESSORS = Symbol('QUEUE_PROCESSORS');
