import { DynamicModule, LoggerService, Module } from '@nestjs/common';
import { Db, DB, deriveKey, GroupCommit, offLoopGroupCommit } from '@tftsr/db';
import { ValueKeys } from '@tftsr/redaction';
import { BlobStore, openBlobStore, S3BlobStore } from '@tftsr/storage';
import { MetricsRegistry } from '@tftsr/telemetry';
import { IngestProcessor } from './ingest.processor';
import { WorkerMetricsServer } from './metrics/metrics-server';
import { WorkerMetrics } from './metrics/worker-metrics';
import { IDS_ONLY_JOB_LOG } from './metrics/job-telemetry';
import { PiiScanService, ScanThreads } from './pii-scan.service';
import { RemoteScanner } from './scanner/remote-scanner';
import { DatabaseModule } from '@tftsr/db/database.module';
import { WorkerConfig } from './config/worker.config';
import { OutboxJobGuard } from './outbox-job';
import { QUEUE_PROCESSORS } from './processor';
import { PublicationReconciler } from './publish/publication-reconciler';
import { PublishPreparer } from './publish/publish-preparer';
import { PublishProcessor } from './publish/publish.processor';
import { WebhookDeliveryService } from './webhooks/webhook-delivery.service';
import { RecoverySweeps } from './recovery-sweeps';
import { RedactionVersionWriter } from './redaction-version.writer';
import { RedactorService } from './redactor.service';
import { RetentionSweeper } from './retention-sweeper.service';
import { SystemProcessor } from './system.processor';
import { WorkerRunner } from './worker-runner.service';

@Module({})
export class WorkerModule {
  /** `idsOnlyJobLog`: the lines of jobs that ended well, without the redaction walk (see IDS_ONLY_JOB_LOG). */
  static forRoot(config: WorkerConfig, connection: Db, idsOnlyJobLog?: LoggerService): DynamicModule {
    return {
      module: WorkerModule,
      imports: [DatabaseModule.forRoot({ connection, key: config.databaseKey })],
      providers: [
        { provide: WorkerConfig, useValue: config },
        { provide: IDS_ONLY_JOB_LOG, useValue: idsOnlyJobLog ?? null },
        { provide: MetricsRegistry, useFactory: () => new MetricsRegistry() },
        WorkerMetrics,
        WorkerMetricsServer,
        {
          provide: BlobStore,
          useFactory: () => openBlobStore(config.blobStorage, config.dataDir, deriveKey(config.databaseKey, 'blob-encryption')),
        },
        {
          provide: ScanThreads,
          useFactory: () => new ScanThreads(config.dataDir, deriveKey(config.databaseKey, 'blob-encryption'), config.blobStorage),
        },
        {
          // Role writer: files are read and scanned by scanners (issue 19); the config check made the store S3.
          provide: RemoteScanner,
          useFactory: (blobs: BlobStore) =>
            config.TFTSR_WORKER_ROLE === 'writer' && blobs instanceof S3BlobStore ? new RemoteScanner(config, blobs) : null,
          inject: [BlobStore],
        },
        PiiScanService,
        { provide: ValueKeys, useFactory: () => new ValueKeys(config.databaseKey) },
        RedactorService,
        {
          // Finishing commits of jobs that end together share one transaction, fsync'd off the event loop (issue 17).
          provide: GroupCommit,
          useFactory: (db: Db) => offLoopGroupCommit(db, config.TFTSR_GROUP_COMMIT_WINDOW_MS),
          inject: [DB],
        },
        OutboxJobGuard,
        RedactionVersionWriter,
        RetentionSweeper,
        SystemProcessor,
        IngestProcessor,
        WebhookDeliveryService,
        PublishPreparer,
        PublishProcessor,
        { provide: QUEUE_PROCESSORS, useFactory: (...ps: unknown[]) => ps, inject: [SystemProcessor, IngestProcessor, PublishProcessor] },
        WorkerRunner,
        PublicationReconciler,
        RecoverySweeps,
      ],
    };
  }
}
