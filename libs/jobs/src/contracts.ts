import { JobsOptions } from 'bullmq';

/**
 * The job contracts both apps import: queue names, job names, payloads (ids only: never content, never
 * secrets; Redis is not encrypted), the retry and retention policy, and deterministic job ids.
 */
export const QUEUE_NAMES = ['system'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export interface JobPayloads {
  /** Proves the wiring: API → Redis → worker → database → result. */
  ping: { ping_id: string };
}
export type JobName = keyof JobPayloads;

export const JOB_QUEUE: { readonly [N in JobName]: QueueName } = {
  ping: 'system',
};

export const JOB_POLICY: { readonly [N in JobName]: JobsOptions } = {
  ping: {
    attempts: 3,
    backoff: { type: 'exponential', delay: 1000 },
    // Kept long enough for the API to read the result, and bounded so Redis memory stays flat.
    removeOnComplete: { age: 3600, count: 1000 },
    removeOnFail: { age: 24 * 3600, count: 1000 },
  },
};

const JOB_IDS: { readonly [N in JobName]: (payload: JobPayloads[N]) => string } = {
  ping: (p) => `ping-${p.ping_id}`,
};

/** One id per logical job, so a re-enqueue is a no-op while BullMQ still holds it. No ':' (BullMQ's separator). */
export function jobIdFor<N extends JobName>(name: N, payload: JobPayloads[N]): string {
  return JOB_IDS[name](payload);
}

export interface PingResult {
  pong: true;
  ping_id: string;
  worker_pid: number;
  migrations_applied: number;
}
