import { Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { Worker } from 'bullmq';
import { describeRedisTopology, SHUTDOWN_CLOSE_MARGIN_MS, onShutdownSignal } from '@tftsr/config';
import type { ScanJobName, ScanJobPayloads } from '@tftsr/jobs';
import { createRedisConnection, logConnectionChanges, SCAN_QUEUE } from '@tftsr/jobs';
import { S3BlobStore } from '@tftsr/storage';
import { MetricsRegistry } from '@tftsr/telemetry';
import type { WorkerConfig } from '../config/worker.config';
import { JobTelemetry } from '../metrics/job-telemetry';
import { WorkerMetricsServer } from '../metrics/metrics-server';
import { JobMetrics } from '../metrics/job-metrics';
import { closeWithin } from '../watchdog';
import { ScanProcessor } from './scan.processor';

/**
 * TFTSR_WORKER_ROLE=scanner (issue 19): the queue `scan` only. No Nest application, no database, no data directory:
 * the blob key, the bucket and Redis are all it uses. Its metrics are served on the worker's port, as usual.
 */
export async function runScanner(config: WorkerConfig, logger: Logger): Promise<void> {
  const choice = config.blobStorage;
  if (choice.kind !== 's3') throw new Error('a scanner needs TFTSR_BLOB_STORE=s3');
  const store = new S3BlobStore(choice.s3, config.blobKey);
  await store.probe();
  // The pass runs on this event loop: it has nothing else to do but renew locks (between chunks), and a thread per
  // job would load the S3 client anew each time (most of a second). More scanning is more scanner processes.
  const processor = new ScanProcessor(store, undefined, config.TFTSR_WORKER_LOCK_MS);
  const registry = new MetricsRegistry();
  const metricsServer = new WorkerMetricsServer(registry, config);
  await metricsServer.onApplicationBootstrap();
  const telemetry = new JobTelemetry(new JobMetrics(registry), new Logger('ScanProcessor'));
  const connection = createRedisConnection(config.redis, 'worker');
  logConnectionChanges(connection, logger, 'scanner');
  const worker = new Worker<ScanJobPayloads[ScanJobName]>(
    SCAN_QUEUE,
    (job: Job<ScanJobPayloads[ScanJobName]>) => telemetry.around(SCAN_QUEUE, job, () => processor.handle(job)),
    {
      connection,
      prefix: config.queuePrefix,
      concurrency: config.TFTSR_WORKER_CONCURRENCY,
      lockDuration: config.TFTSR_WORKER_LOCK_MS,
      stalledInterval: config.TFTSR_WORKER_LOCK_MS,
      // A scanner killed mid-scan stalls its job: it runs again on another scanner, more than once if need be.
      maxStalledCount: 3,
    },
  );
  worker.on('error', (err) => logger.warn(`worker scan: ${err.message}`));
  worker.on('stalled', (jobId) => logger.warn(`job ${jobId} on scan stalled; it will run again`));
  logger.log(
    `processing queues: scan (redis: ${describeRedisTopology(config.redis).where}, key prefix ${config.queuePrefix}, role scanner)`,
  );
  const grace = config.TFTSR_SHUTDOWN_GRACE_MS;
  onShutdownSignal(logger, grace + SHUTDOWN_CLOSE_MARGIN_MS, async () => {
    const drained = await closeWithin(worker, grace);
    if (!drained) logger.warn(`scans still running after ${grace} ms; left to stall and run again`);
    connection.disconnect();
    store.destroy();
    await metricsServer.onApplicationShutdown();
  });
}
