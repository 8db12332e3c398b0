import type { JobsOptions } from 'bullmq';

/**
 * The job contracts both apps import: queue names, job names, payloads (ids only: never content, never
 * secrets; Redis is not encrypted), the retry and retention policy, and deterministic job ids.
 */
export const QUEUE_NAMES = ['system', 'ingest', 'publish'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** A job that came through the outbox: its row id is its identity, and the job marks the row done. */
export interface OutboxJob {
  outbox_id: string;
  /** The API request that caused the job (x-request-id), for the worker's log lines; absent for jobs made elsewhere. */
  request_id?: string;
  /**
   * The database's restore generation (service_state), stamped by the relay at each dispatch: part of the job id,
   * so after `tftsr db restore` no job id Redis remembers from before can shadow a job of the restored rows.
   */
  generation?: string;
}

export interface JobPayloads {
  /** Proves the wiring: API → Redis → worker → database → result. */
  ping: { ping_id: string };
  /** Streams the stored file through SHA-256; sets content_hash and the real file_size. */
  hash: OutboxJob & { log_file_id: string };
  /** Streams the stored file through the PII engine; replaces the file's spans in one transaction. */
  detect_pii: OutboxJob & { log_file_id: string };
  /** Writes the redacted copy of the file for one approval (a redaction_requests row), sets redacted = 1. */
  redact: OutboxJob & { log_file_id: string; redaction_request_id: string };
  /** Sends one publication (a document, or an issue's incident) to its service: search before create, then create or update. */
  publish: OutboxJob & { publication_id: string };
  /** Sends one webhook delivery (one event to one endpoint); signed when the endpoint is `json`. */
  deliver_webhook: OutboxJob & { delivery_id: string };
}
export type JobName = keyof JobPayloads;

/** A job's name and its payload, paired: narrowing `name` narrows `payload`. */
export type JobOf<N extends JobName = JobName> = { [K in N]: { name: K; payload: JobPayloads[K] } }[N];

export const JOB_QUEUE: { readonly [N in JobName]: QueueName } = {
  ping: 'system',
  hash: 'ingest',
  detect_pii: 'ingest',
  redact: 'ingest',
  publish: 'publish',
  deliver_webhook: 'publish',
};

/**
 * How long finished jobs stay in Redis (seconds) and how many per queue, so Redis memory stays bounded. The API
 * applies TFTSR_JOB_KEEP_* at enqueue (`jobOptions`). Completed jobs are kept longer than the reconciler's
 * window, so a re-dispatch within it is still deduplicated by job id; failed ones for a week, to be retried.
 */
export interface JobRetention {
  completedSeconds: number;
  completedCount: number;
  failedSeconds: number;
  failedCount: number;
}

export const DEFAULT_JOB_RETENTION: JobRetention = {
  completedSeconds: 24 * 3600,
  completedCount: 10000,
  failedSeconds: 7 * 24 * 3600,
  failedCount: 10000,
};

const OUTBOX_JOB_POLICY: JobsOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: { age: DEFAULT_JOB_RETENTION.completedSeconds, count: DEFAULT_JOB_RETENTION.completedCount },
  removeOnFail: { age: DEFAULT_JOB_RETENTION.failedSeconds, count: DEFAULT_JOB_RETENTION.failedCount },
};

/**
 * Remote services fail in their own ways: 429/503 name a delay (Retry-After), other 5xx and network errors back
 * off exponentially with jitter (the worker's `publish` backoff strategy, capped), and 400/401/403/404 fail at
 * once. Ten attempts span about an hour with the default base delay. The delay is not set here: BullMQ hands a
 * custom type's delay to no one, and the worker computes it (retryDelayMs, from TFTSR_PUBLISH_BACKOFF_*).
 */
export const PUBLISH_BACKOFF_TYPE = 'publish';
const PUBLISH_JOB_POLICY: JobsOptions = {
  ...OUTBOX_JOB_POLICY,
  attempts: 10,
  backoff: { type: PUBLISH_BACKOFF_TYPE },
};

export const JOB_POLICY: { readonly [N in JobName]: JobsOptions } = {
  ping: {
    attempts: 3,
    backoff: { type: 'exponential', delay: 1000 },
    // Kept long enough for the API to read the result, and bounded so Redis memory stays flat.
    removeOnComplete: { age: 3600, count: 1000 },
    removeOnFail: { age: 24 * 3600, count: 1000 },
  },
  hash: OUTBOX_JOB_POLICY,
  detect_pii: OUTBOX_JOB_POLICY,
  redact: OUTBOX_JOB_POLICY,
  publish: PUBLISH_JOB_POLICY,
  deliver_webhook: { ...PUBLISH_JOB_POLICY, attempts: 8 },
};

type Keep = { age: number; count: number };

/** A job's options with the configured retention: outbox jobs take it as is; ping keeps its own where shorter. */
/**
 * A file's `hash` job is done by its `detect_pii` job's single read (issue 17); run first, it only puts itself back
 * to wait for it. Sent together with that scan, it starts this much later, so that it normally runs once, to find
 * itself done: on small files that was one job run in three.
 */
export const HASH_BEHIND_SCAN_MS = 1000;

/** The delay each of `jobs`, sent together, starts with (HASH_BEHIND_SCAN_MS); 0 for the rest. */
export function startDelays(jobs: readonly JobOf[]): number[] {
  const scanned = new Set(jobs.flatMap((job) => (job.name === 'detect_pii' ? [job.payload.log_file_id] : [])));
  return jobs.map((job) => (job.name === 'hash' && scanned.has(job.payload.log_file_id) ? HASH_BEHIND_SCAN_MS : 0));
}

export function jobOptions(name: JobName, retention: JobRetention = DEFAULT_JOB_RETENTION): JobsOptions {
  const policy = JOB_POLICY[name];
  const completed = { age: retention.completedSeconds, count: retention.completedCount };
  const failed = { age: retention.failedSeconds, count: retention.failedCount };
  if (name !== 'ping') return { ...policy, removeOnComplete: completed, removeOnFail: failed };
  const min = (own: Keep, set: Keep): Keep => ({ age: Math.min(own.age, set.age), count: Math.min(own.count, set.count) });
  return {
    ...policy,
    removeOnComplete: min(policy.removeOnComplete as Keep, completed),
    removeOnFail: min(policy.removeOnFail as Keep, failed),
  };
}

const outboxKey = (p: OutboxJob) => (p.generation ? `${p.generation}-${p.outbox_id}` : p.outbox_id);
const JOB_IDS: { readonly [N in JobName]: (payload: JobPayloads[N]) => string } = {
  ping: (p) => `ping-${p.ping_id}`,
  hash: (p) => `hash-${outboxKey(p)}`,
  detect_pii: (p) => `detect_pii-${outboxKey(p)}`,
  redact: (p) => `redact-${outboxKey(p)}`,
  publish: (p) => `publish-${outboxKey(p)}`,
  deliver_webhook: (p) => `deliver_webhook-${outboxKey(p)}`,
};

/** One id per logical job, so a re-enqueue is a no-op while BullMQ still holds it. No ':' (BullMQ's separator). */
export function jobIdFor<N extends JobName>(name: N, payload: JobPayloads[N]): string {
  return JOB_IDS[name](payload);
}

/**
 * Scanner hosts (issue 19): the queue `scan` is not fed by the outbox. A writer's ingest job (hash, detect_pii) puts a
 * sealed work order in the bucket, adds `scan_blob` for it and waits for the sealed result; the job carries the work
 * id only, which is the outbox job's key (its restore generation and outbox id), so a rerun finds the same job.
 */
export const SCAN_QUEUE = 'scan';
/** Every queue there is: the outbox's and the scanners'. The API's metrics and queue dashboard show them all. */
export const ALL_QUEUE_NAMES = [...QUEUE_NAMES, SCAN_QUEUE] as const;
export interface ScanJobPayloads {
  /** The log file's id is for the scanner's log lines; the order (in the bucket) says what to read. */
  scan_blob: { work_id: string; log_file_id: string };
  /** A redacted copy (role writer): the plan in the bucket says which original and which spans. */
  redact_blob: { work_id: string; log_file_id: string };
}
export type ScanJobName = keyof ScanJobPayloads;

/** A scanner killed mid-scan leaves its job to stall and run again elsewhere; a failure is retried by the writer's job. */
export const SCAN_JOB_POLICY: JobsOptions = {
  attempts: 2,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 3600, count: 10000 },
  removeOnFail: { age: 24 * 3600, count: 10000 },
};

/** The work id of an ingest job: one per outbox row (and restore generation). No ':' (BullMQ's separator). */
export function workIdFor(job: OutboxJob): string {
  return outboxKey(job);
}

export function scanJobId(workId: string): string {
  return `scan_blob-${workId}`;
}

/**
 * The work id of one redacted copy of a redact job: the outbox job's key, then `-redact-` (never a scan's work
 * id, whatever the outbox id), the decisions' revision and the replacement style it applies. A rerun with the
 * same decisions finds the same plan and result; decisions changed since make a new one.
 */
export function redactWorkIdFor(job: OutboxJob, decisionsRev: number, style: string): string {
  return `${outboxKey(job)}-redact-r${decisionsRev}-${style}`;
}

export function redactJobId(workId: string): string {
  return `redact_blob-${workId}`;
}

export interface PingResult {
  pong: true;
  ping_id: string;
  worker_pid: number;
  migrations_applied: number;
}

export function isJobName(name: string): name is JobName {
  return Object.prototype.hasOwnProperty.call(JOB_QUEUE, name);
}
