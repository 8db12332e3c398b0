import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { Counter, Histogram } from 'prom-client';
import { Db, DB, observeWriteLockWait, walSizeBytes } from '@tftsr/db';
import type { RedisClient } from '@tftsr/jobs';
import { MetricsRegistry, registerRedisMetrics, registerSqliteMetrics } from '@tftsr/telemetry';
import { WorkerConfig } from '../config/worker.config';

import { JobMetrics, type JobOutcome } from './job-metrics';

export type { JobOutcome };

/**
 * The worker's metrics, served by WorkerMetricsServer. Inject it where a job has something to count:
 * `publishResults` is predefined, and `counter()` / `histogram()` get or create any other metric in the same registry.
 */
@Injectable()
export class WorkerMetrics implements OnModuleInit, OnApplicationShutdown {
  /** tftsr_publish_results_total{service, outcome}: `metrics.publishResults.inc({ service: 'confluence', outcome: 'published' })`. */
  readonly publishResults: Counter<'service' | 'outcome'>;
  private readonly jobs: JobMetrics;
  private readonly piiSpans: Counter<'type'>;

  constructor(
    readonly registry: MetricsRegistry,
    @Inject(DB) private readonly db: Db,
    private readonly config: WorkerConfig,
  ) {
    this.publishResults = registry.counter('tftsr_publish_results_total', 'Publish attempts by target service and outcome.', [
      'service',
      'outcome',
    ]);
    this.jobs = new JobMetrics(registry);
    this.piiSpans = registry.counter(
      'tftsr_pii_spans_total',
      'PII spans stored by detect_pii, by type (counted when its transaction commits).',
      ['type'],
    );
  }

  onModuleInit(): void {
    observeWriteLockWait(
      this.db,
      registerSqliteMetrics(this.registry, () => walSizeBytes(this.config.databasePath)),
    );
  }

  onApplicationShutdown(): void {
    observeWriteLockWait(this.db, null);
  }

  counter<L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return this.registry.counter(name, help, labelNames);
  }

  histogram<L extends string = never>(name: string, help: string, labelNames: readonly L[] = [], buckets?: number[]): Histogram<L> {
    return this.registry.histogram(name, help, labelNames, buckets);
  }

  /** The connection whose state tftsr_redis_up reports; read at each scrape, so a re-created one is followed. */
  trackRedis(connection: () => RedisClient | undefined): void {
    registerRedisMetrics(this.registry, connection);
  }

  jobFinished(queue: string, name: string, outcome: JobOutcome, seconds: number): void {
    this.jobs.jobFinished(queue, name, outcome, seconds);
  }

  piiSpansStored(countsByType: Record<string, number>): void {
    for (const [type, count] of Object.entries(countsByType)) if (count > 0) this.piiSpans.inc({ type }, count);
  }
}
