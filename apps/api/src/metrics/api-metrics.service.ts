import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import type { Counter, Histogram } from 'prom-client';
import { Db, DB, observeWriteLockWait, OutboxRepository, stuckLogFiles, walSizeBytes } from '@tftsr/db';
import { MetricsRegistry, registerRedisMetrics, registerSqliteMetrics } from '@tftsr/telemetry';
import { ApiConfig } from '../config/api.config';
import { HttpMetrics, UploadKind } from './http-telemetry';
import { MonitoredQueues } from './monitored-queues';

const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
/** Seconds, from 10 ms to 30 minutes: a 2 GiB upload over a slow link takes a while. */
const UPLOAD_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800];

/**
 * The API's metrics. Queue depth and the outbox are deployment-wide facts (Redis, the database), so only the API
 * reports them: every worker replica reporting them too would multiply the series.
 */
@Injectable()
export class ApiMetrics implements HttpMetrics, OnModuleInit, OnApplicationShutdown {
  private readonly requestDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly uploadFiles: Counter<'kind' | 'outcome'>;
  private readonly uploadBytes: Counter<'kind'>;
  private readonly uploadDuration: Histogram<'kind'>;

  constructor(
    readonly registry: MetricsRegistry,
    @Inject(DB) private readonly db: Db,
    private readonly config: ApiConfig,
    private readonly queues: MonitoredQueues,
    private readonly outbox: OutboxRepository,
  ) {
    this.requestDuration = registry.histogram('tftsr_http_request_duration_seconds', 'HTTP requests by route pattern, method and status.', [
      'method',
      'route',
      'status',
    ]);
    this.uploadFiles = registry.counter('tftsr_upload_files_total', 'Uploads by kind; outcome is accepted (2xx) or rejected.', [
      'kind',
      'outcome',
    ]);
    this.uploadBytes = registry.counter('tftsr_upload_bytes_total', 'Bytes stored by accepted uploads (after decompression).', ['kind']);
    this.uploadDuration = registry.histogram(
      'tftsr_upload_duration_seconds',
      'Time from request start to answer of accepted uploads.',
      ['kind'],
      UPLOAD_BUCKETS,
    );
  }

  onModuleInit(): void {
    observeWriteLockWait(
      this.db,
      registerSqliteMetrics(this.registry, () => walSizeBytes(this.config.databasePath)),
    );
    registerRedisMetrics(this.registry, () => this.queues.connection);
    this.registerQueueDepth();
    this.registerOutbox();
    const stuck = this.registry.gauge(
      'tftsr_stuck_files',
      'Log files neither ready nor failed that no job is moving (readiness check stuck_files).',
    );
    this.registry.onScrape('stuck_files', () => stuck.set(stuckLogFiles(this.db, this.config.TFTSR_STUCK_FILE_MS).count));
  }

  onApplicationShutdown(): void {
    observeWriteLockWait(this.db, null);
  }

  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.requestDuration.observe({ method, route, status: String(status) }, seconds);
  }

  observeUpload(kind: UploadKind, accepted: boolean, bytes: number | null, seconds: number): void {
    this.uploadFiles.inc({ kind, outcome: accepted ? 'accepted' : 'rejected' });
    if (!accepted) return;
    if (bytes !== null) this.uploadBytes.inc({ kind }, bytes);
    this.uploadDuration.observe({ kind }, seconds);
  }

  /** Reset first: while Redis cannot answer, the series are absent rather than stale. */
  private registerQueueDepth(): void {
    const depth = this.registry.gauge('tftsr_queue_jobs', 'Jobs in each BullMQ queue by state, read at scrape time.', ['queue', 'state']);
    this.registry.onScrape('queue_depth', async () => {
      depth.reset();
      if (!this.queues.ready) return;
      await Promise.all(
        this.queues.queues.map(async (queue) => {
          const counts = await queue.getJobCounts(...QUEUE_STATES);
          for (const state of QUEUE_STATES) depth.set({ queue: queue.name, state }, counts[state] ?? 0);
        }),
      );
    });
  }

  private registerOutbox(): void {
    const rows = this.registry.gauge(
      'tftsr_outbox_rows',
      'Outbox rows: pending (not yet in Redis), dispatched (in Redis, not done), failed (given up).',
      ['state'],
    );
    const oldest = this.registry.gauge(
      'tftsr_outbox_oldest_pending_age_seconds',
      'Age of the oldest pending outbox row; 0 when none is pending.',
    );
    this.registry.onScrape('outbox', () => {
      const stats = this.outbox.stats();
      rows.set({ state: 'pending' }, stats.pending);
      rows.set({ state: 'dispatched' }, stats.dispatched);
      rows.set({ state: 'failed' }, stats.failed);
      oldest.set((stats.oldest_pending_ms ?? 0) / 1000);
    });
  }
}
