import { Inject, Injectable, Logger, LoggerService, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { Job, Queue, Worker } from 'bullmq';
import { hostname } from 'node:os';
import { describeRedisTopology } from '@tftsr/config';
import {
  createRedisConnection,
  describeSkew,
  JOB_QUEUE,
  logConnectionChanges,
  JobName,
  measureClockSkew,
  QUEUE_NAMES,
  RedisClient,
  readEvictionPolicy,
  reportClockSkew,
  REQUIRED_EVICTION_POLICY,
  skewTooLarge,
} from '@tftsr/jobs';
import { WorkerConfig } from './config/worker.config';
import { IDS_ONLY_JOB_LOG, JobLogger, JobTelemetry } from './metrics/job-telemetry';
import { WorkerMetrics } from './metrics/worker-metrics';
import { JobHandler, QUEUE_PROCESSORS, QueueProcessor } from './processor';
import { closeWithin, JobProcessor, QueueWatchdog, queueProbe, WatchdogSettings, WorkerHandle } from './watchdog';

const CLOCK_CHECK_INTERVAL_MS = 30_000;
/** Connection errors, logged once per outage by logConnectionChanges; a Sentinel failover adds its own words. */
const CONNECTION_ERRORS = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Connection is closed|All sentinels are unreachable/;

/**
 * Owns the BullMQ workers: checks that every job has a handler, runs them (one worker per queue, each kept
 * consuming by its QueueWatchdog), and stops them gracefully.
 */
@Injectable()
export class WorkerRunner implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WorkerRunner');
  private readonly watchdogs: QueueWatchdog[] = [];
  private readonly probes: Queue[] = [];
  private probeConnection: RedisClient | undefined;
  private readonly telemetry: JobTelemetry;
  private clockTimer: NodeJS.Timeout | undefined;
  private lastSkewWarned = false;

  constructor(
    private readonly config: WorkerConfig,
    @Inject(QUEUE_PROCESSORS) private readonly processors: QueueProcessor[],
    private readonly metrics: WorkerMetrics,
    @Optional() @Inject(IDS_ONLY_JOB_LOG) idsOnlyLog?: LoggerService | null,
  ) {
    assertEveryJobHasAHandler(processors);
    this.telemetry = new JobTelemetry(metrics, this.logger, idsOnlyLog ? inContext(idsOnlyLog, 'WorkerRunner') : this.logger);
  }

  async onApplicationBootstrap(): Promise<void> {
    // The watchdogs' probe: one fail-fast connection, so a check during an outage gives up instead of waiting.
    this.probeConnection = createRedisConnection(this.config.redis, 'producer');
    this.probeConnection.on('error', () => undefined);
    for (const processor of this.processors) {
      const probe = new Queue(processor.queue, { connection: this.probeConnection, prefix: this.config.queuePrefix });
      probe.on('error', () => undefined);
      this.probes.push(probe);
      const watchdog = new QueueWatchdog(
        processor.queue,
        (processJob) => this.createWorker(processor, processJob),
        (job) => this.run(processor, job),
        queueProbe(probe, this.probeConnection),
        this.watchdogSettings(processor.queue),
        this.logger,
      );
      this.watchdogs.push(watchdog.start());
    }
    this.metrics.trackRedis(() => this.watchdogs[0].connection);
    await this.warnOnEvictionPolicy();
    await this.checkClock();
    this.clockTimer = setInterval(() => void this.checkClock(), CLOCK_CHECK_INTERVAL_MS);
    this.clockTimer.unref();
    const redis = `redis: ${describeRedisTopology(this.config.redis).where}, key prefix ${this.config.queuePrefix}`;
    const role = this.config.TFTSR_WORKER_ROLE === 'all' ? '' : `, role ${this.config.TFTSR_WORKER_ROLE}`;
    this.logger.log(`processing queues: ${this.processors.map((p) => p.queue).join(', ')} (${redis}${role})`);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.clockTimer);
    this.watchdogs.forEach((w) => w.stop());
    const workers = this.watchdogs.map((w) => w.worker);
    const grace = this.config.TFTSR_SHUTDOWN_GRACE_MS;
    const finished = await Promise.all(workers.map((w) => closeWithin(w, grace)));
    // Past the grace period, running jobs are abandoned: their locks expire and BullMQ runs them again.
    if (finished.includes(false)) this.logger.warn(`jobs still running after ${grace} ms; left to stall and be retried`);
    await Promise.allSettled([...this.watchdogs.map((w) => w.retired()), ...this.probes.map((q) => q.close())]);
    // The connections are ours, not BullMQ's, so closing the workers leaves them open.
    for (const connection of [...this.watchdogs.map((w) => w.connection), this.probeConnection]) connection?.disconnect();
  }

  /** One BullMQ Worker on a fresh connection; its watchdog calls this again to replace a stuck one. */
  private createWorker(processor: QueueProcessor, processJob: JobProcessor): WorkerHandle {
    const connection = createRedisConnection(this.config.redis, 'worker');
    logConnectionChanges(connection, this.logger, `worker ${processor.queue}`);
    const worker = new Worker(processor.queue, processJob, {
      connection,
      prefix: this.config.queuePrefix,
      concurrency: this.concurrencyOf(processor.queue),
      lockDuration: this.config.TFTSR_WORKER_LOCK_MS,
      stalledInterval: this.config.TFTSR_WORKER_LOCK_MS,
      ...(processor.backoffStrategy ? { settings: { backoffStrategy: processor.backoffStrategy } } : {}),
    });
    // Connection errors are logged once by logConnectionChanges; the rest are worth a line each.
    worker.on('error', (err) => {
      if (!CONNECTION_ERRORS.test(err.message)) this.logger.warn(`worker ${processor.queue}: ${err.message}`);
    });
    worker.on('stalled', (jobId) => this.logger.warn(`job ${jobId} on ${processor.queue} stalled; it will run again`));
    return { worker, connection };
  }

  /**
   * Ingest jobs mostly wait, for scanners in a writer (issue 19) and for Redis and shared commits otherwise (issue
   * 17): many more of them run at once; in role `all`, IngestProcessor bounds those on large files.
   */
  private concurrencyOf(queue: string): number {
    if (queue !== 'ingest') return this.config.TFTSR_WORKER_CONCURRENCY;
    return this.config.TFTSR_WORKER_ROLE === 'writer'
      ? this.config.TFTSR_WRITER_INGEST_CONCURRENCY
      : this.config.TFTSR_WORKER_INGEST_CONCURRENCY;
  }

  private watchdogSettings(queue: string): WatchdogSettings {
    return {
      intervalMs: this.config.TFTSR_WATCHDOG_INTERVAL_MS,
      stuckMs: this.config.TFTSR_WATCHDOG_STUCK_MS,
      reconnectMs: this.config.TFTSR_WATCHDOG_RECONNECT_MS,
      concurrency: this.concurrencyOf(queue),
      retireGraceMs: this.config.TFTSR_SHUTDOWN_GRACE_MS,
    };
  }

  private async run(processor: QueueProcessor, job: Job): Promise<unknown> {
    const handler = processor.handlers[job.name as JobName] as JobHandler<JobName>;
    return this.telemetry.around(processor.queue, job, () => handler(job as never));
  }

  /** Compares this clock with Redis TIME, warns when it is off by more than a few seconds, and reports it for readiness. */
  private async checkClock(): Promise<void> {
    const connection = this.probeConnection;
    if (!connection) return;
    try {
      const skew = await measureClockSkew(connection);
      const who = `worker.${hostname()}.${process.pid}`;
      await reportClockSkew(connection, this.config.queuePrefix, who, skew);
      const tooLarge = skewTooLarge(skew);
      if (tooLarge && !this.lastSkewWarned) this.logger.warn(describeSkew(`this worker (${who})`, skew));
      this.lastSkewWarned = tooLarge;
    } catch (err) {
      this.logger.warn(`could not compare the clock with Redis TIME yet: ${(err as Error).message}`);
    }
  }

  private async warnOnEvictionPolicy(): Promise<void> {
    try {
      const policy = await readEvictionPolicy(this.watchdogs[0].connection);
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
    throw new Error(
      `refusing to start: no handler for job(s) ${missing.join(', ') || '-'}; no processor for queue(s) ${unknownQueues.join(', ') || '-'}`,
    );
  }
}

/** What `new Logger(context)` does over Nest's logger: every line says where it came from. */
function inContext(log: LoggerService, context: string): JobLogger {
  return {
    debug: (message) => void log.debug?.(message, context),
    log: (message) => void log.log(message, context),
    warn: (message) => void log.warn(message, context),
  };
}
