import type { Job, Queue, Worker } from 'bullmq';
import type { RedisClient } from '@tftsr/jobs';

/** A BullMQ Worker and the connection it was given: ours, so closing the worker leaves it open. */
export interface WorkerHandle {
  worker: Worker;
  connection: RedisClient;
}

export type JobProcessor = (job: Job) => Promise<unknown>;

/** What the watchdog asks Redis, on a connection of its own that fails fast instead of waiting. */
export interface QueueProbe {
  waiting(): Promise<number>;
  paused(): Promise<boolean>;
  reachable(): Promise<boolean>;
}

export interface WatchdogSettings {
  /** 0: never look (the worker is still created and closed through the watchdog). */
  intervalMs: number;
  stuckMs: number;
  reconnectMs: number;
  /** Jobs one worker runs at once: with every slot busy, waiting jobs are expected. */
  concurrency: number;
  /** How long a replaced worker may take to finish its running jobs before it is closed by force. */
  retireGraceMs: number;
}

interface Logger {
  log(message: string): void;
  warn(message: string): void;
}

const FORCE_CLOSE_MS = 5000;

/**
 * Keeps one queue consuming. BullMQ workers have been seen to stop taking jobs after a Redis restart (bullmq
 * #2466, #2964, #3185): the loop waits on a blocking command that never returns. Two symptoms re-create the
 * worker, on a fresh connection, with one log line saying why:
 * - jobs wait, a slot is free, the queue is not paused, and no job has been picked up for `stuckMs`;
 * - the connection dropped and no `ready` followed within `reconnectMs`, although Redis answers.
 * The old worker is closed gracefully in the background (its running jobs finish), by force after a grace.
 */
export class QueueWatchdog {
  private current: WorkerHandle | undefined;
  private readonly retiring = new Set<Promise<void>>();
  private inFlight = 0;
  private lastPickedAt: number;
  private waitingSince: number | null = null;
  private disconnectedAt: number | null = null;
  private timer: NodeJS.Timeout | undefined;
  private checking = false;
  private stopped = false;
  recreations = 0;

  constructor(
    readonly queue: string,
    private readonly create: (processor: JobProcessor) => WorkerHandle,
    private readonly processor: JobProcessor,
    private readonly probe: QueueProbe,
    private readonly settings: WatchdogSettings,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.lastPickedAt = now();
  }

  start(): this {
    this.current = this.spawn();
    if (this.settings.intervalMs > 0) {
      this.timer = setInterval(() => void this.check(), this.settings.intervalMs);
      this.timer.unref();
    }
    return this;
  }

  get worker(): Worker {
    return this.handle.worker;
  }

  get connection(): RedisClient {
    return this.handle.connection;
  }

  /** No more checks; the runner then closes `worker` within its shutdown grace. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }

  /** Resolves once every replaced worker has closed (gracefully, or by force after its grace). */
  async retired(): Promise<void> {
    await Promise.all([...this.retiring]);
  }

  /** One look; re-creates the worker when it is stuck and returns why, else null. Never throws. */
  async check(): Promise<string | null> {
    if (this.checking || this.stopped) return null;
    this.checking = true;
    try {
      const reason = await this.diagnose();
      if (reason && !this.stopped) this.recreate(reason);
      return reason;
    } catch {
      // Redis is unreachable or slow: nothing to judge, and a new worker would not help.
      return null;
    } finally {
      this.checking = false;
    }
  }

  private async diagnose(): Promise<string | null> {
    const now = this.now();
    if (this.disconnectedAt !== null && now - this.disconnectedAt >= this.settings.reconnectMs) {
      if (!(await this.probe.reachable())) return null;
      return `its Redis connection dropped ${seconds(now - this.disconnectedAt)} ago and never became ready again, though Redis answers`;
    }
    const waiting = await this.probe.waiting();
    if (waiting === 0 || this.inFlight >= this.settings.concurrency || (await this.probe.paused())) {
      this.waitingSince = null;
      return null;
    }
    this.waitingSince ??= now;
    const idle = now - Math.max(this.waitingSince, this.lastPickedAt);
    return idle >= this.settings.stuckMs ? `${waiting} job(s) waiting, a free slot, and no job picked up for ${seconds(idle)}` : null;
  }

  private recreate(reason: string): void {
    this.logger.warn(`watchdog: re-creating the BullMQ worker of queue ${this.queue}: ${reason}`);
    const old = this.handle;
    this.current = this.spawn();
    this.recreations += 1;
    this.disconnectedAt = null;
    this.waitingSince = null;
    this.lastPickedAt = this.now();
    const retired = this.retire(old);
    this.retiring.add(retired);
    void retired.finally(() => this.retiring.delete(retired));
  }

  private spawn(): WorkerHandle {
    const handle = this.create((job) => this.track(job));
    // Only the current worker's connection counts; a retired one closing is expected.
    handle.connection.on('close', () => {
      if (handle === this.current) this.disconnectedAt ??= this.now();
    });
    handle.connection.on('ready', () => {
      if (handle === this.current) this.disconnectedAt = null;
    });
    return handle;
  }

  private async track(job: Job): Promise<unknown> {
    this.inFlight += 1;
    this.lastPickedAt = this.now();
    try {
      return await this.processor(job);
    } finally {
      this.inFlight -= 1;
    }
  }

  /** A stuck worker may never finish closing: bounded, then forced; its connection goes last. */
  private async retire(old: WorkerHandle): Promise<void> {
    try {
      await closeWithin(old.worker, this.settings.retireGraceMs);
    } catch (err) {
      this.logger.warn(`watchdog: closing the replaced worker of ${this.queue} failed: ${(err as Error).message}`);
    } finally {
      // Already ended (dropped for good): ioredis' disconnect() would only leave a 2 s timer on the closed socket.
      if (old.connection.status !== 'end') old.connection.disconnect();
    }
  }

  private get handle(): WorkerHandle {
    if (!this.current) throw new Error(`the watchdog of ${this.queue} was not started`);
    return this.current;
  }
}

/**
 * Stops taking jobs, gives the running ones up to `graceMs` to finish, then closes; true when they finished.
 * Past the grace they are abandoned: their locks expire and BullMQ runs them again. The wait is pause()'s, not
 * close()'s, because BullMQ's close(true) after a close() only returns the first, graceful, close.
 */
export async function closeWithin(worker: Worker, graceMs: number): Promise<boolean> {
  const pausing = worker.pause();
  const drained = await within(pausing, graceMs);
  await within(worker.close(!drained), FORCE_CLOSE_MS);
  // pause() reopens BullMQ's blocking connection once the fetch loop ends. After a dropped connection the loop
  // sleeps runRetryDelay (15 s) first, which close() does not cut short: a pause still pending then reopens it after
  // the close, for good. Close it again when the pause is over.
  if (!drained) void pausing.then(() => worker.disconnect()).catch(() => undefined);
  return drained;
}

const PROBE_TIMEOUT_MS = 3000;

/**
 * The probe over a BullMQ Queue on a connection of its own. BullMQ waits for a connection before it sends a
 * command, so every call is bounded: a check during an outage gives up instead of hanging.
 */
export function queueProbe(queue: Queue, connection: RedisClient): QueueProbe {
  return {
    waiting: () => bounded(queue.getWaitingCount()),
    paused: () => bounded(queue.isPaused()),
    reachable: async () => (await bounded(connection.ping()).catch(() => null)) === 'PONG',
  };
}

function bounded<T>(promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)), PROBE_TIMEOUT_MS);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
