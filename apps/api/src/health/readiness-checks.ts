import { statfs } from 'node:fs/promises';
import type { Db } from '@tftsr/db';
import { oldestPendingOutboxAgeMs, pingDatabase, stuckLogFiles, tryWriteLock } from '@tftsr/db';

export interface Check {
  ok: boolean;
  reason?: string;
}

const LOCK_ATTEMPT_EVERY_MS = 100;
const LOCK_ATTEMPT_WAIT_MS = 10;

/**
 * The write lock can be taken within `withinMs`. Short attempts spread over the window, not one long wait:
 * better-sqlite3 blocks the event loop while it waits, so one wait of `withinMs` would stall every request.
 */
export async function checkWriteLock(db: Db, withinMs: number): Promise<Check> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (tryWriteLock(db, LOCK_ATTEMPT_WAIT_MS)) return { ok: true };
    if (Date.now() >= deadline) break;
    await new Promise((resolve) => setTimeout(resolve, LOCK_ATTEMPT_EVERY_MS));
  }
  return {
    ok: false,
    reason: `the database write lock could not be taken for ${withinMs} ms: a long transaction holds it (another process, or a tool such as a sqlite shell); writes will time out`,
  };
}

/** Free space for unprivileged writers (bavail) on the filesystem that holds the data directory. */
export async function checkDiskSpace(dataDir: string, minFreeBytes: number): Promise<Check> {
  const stats = await statfs(dataDir);
  const free = stats.bavail * stats.bsize;
  if (free >= minFreeBytes) return { ok: true };
  return {
    ok: false,
    reason: `only ${mib(free)} free on the filesystem of ${dataDir} (TFTSR_MIN_FREE_DISK_BYTES is ${mib(minFreeBytes)}): uploads will fail with 507; free space or grow the volume`,
  };
}

/**
 * Pending outbox rows should reach Redis within seconds of Redis being up. After an outage the backlog drains
 * with a back-off of up to 30 s, so the row must be old AND Redis must have been up for the same time.
 */
export function checkOutbox(db: Db, redisUpForMs: number | null, maxAgeMs: number, now = Date.now()): Check {
  const age = oldestPendingOutboxAgeMs(db, now);
  if (age === null || age <= maxAgeMs || redisUpForMs === null || redisUpForMs <= maxAgeMs) return { ok: true };
  return {
    ok: false,
    reason: `the oldest pending outbox row has waited ${Math.round(age / 1000)} s although Redis has been up for ${Math.round(redisUpForMs / 1000)} s: jobs are not reaching Redis (is it out of memory? see the API log, OutboxRelay)`,
  };
}

/** No log file is stuck: each one is ready, failed with a reason, or being moved by a job (issue 22). */
export function checkStuckFiles(db: Db, stuckMs: number, now = Date.now()): Check {
  const stuck = stuckLogFiles(db, stuckMs, now);
  if (stuck.count === 0) return { ok: true };
  return {
    ok: false,
    reason: `${stuck.count} log file(s) have not moved for ${Math.round(stuckMs / 1000)} s and no job is moving them (e.g. ${stuck.ids.join(', ')}): is the worker running? retry them from the queue dashboard or see the worker log`,
  };
}

/** The database answers. (A wrong key never gets this far: the process refuses to start.) */
export function checkDatabase(db: Db): Check {
  try {
    pingDatabase(db);
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: `database does not answer: ${(err as Error).message}` };
  }
}

const REDIS_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'nothing listens there (connection refused)',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve',
  ETIMEDOUT: 'no answer (timed out)',
  EHOSTUNREACH: 'the host cannot be reached',
  ECONNRESET: 'the connection was cut',
};

/**
 * Why Redis does not answer, in words an operator acts on, from the connection's last error (its code) rather
 * than what the client library says about its own state ("Connection is closed.", "Stream isn't writeable…").
 */
export function redisUnreachable(
  target: { where: string; variable: string },
  lastError: { code?: string; message?: string } | undefined,
  failure: unknown,
): Check {
  const message = (failure as Error)?.message ?? '';
  const auth = /NOAUTH|WRONGPASS|invalid password|invalid username/i.test(`${lastError?.message ?? ''} ${message}`);
  const credentials =
    target.variable === 'REDIS_URL' ? 'the user and password in REDIS_URL' : 'TFTSR_REDIS_USERNAME and TFTSR_REDIS_PASSWORD';
  const cause = auth
    ? `it refuses the password (check ${credentials})`
    : (REDIS_ERRORS[lastError?.code ?? ''] ?? (/^no answer within/.test(message) ? message : 'no connection'));
  return { ok: false, reason: `redis is unreachable at ${target.where}: ${cause}; start Redis or fix ${target.variable}` };
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
