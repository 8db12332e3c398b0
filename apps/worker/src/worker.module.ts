import { DynamicModule, Module } from '@nestjs/common';
import { Db, deriveKey } from '@tftsr/db';
import { ValueKeys } from '@tftsr/redaction';
import { BlobStore, openBlobStore, S3BlobStore } from '@tftsr/storage';
import { MetricsRegistry } from '@tftsr/telemetry';
import { IngestProcessor } from './ingest.processor';
import { WorkerMetricsServer } from './metrics/metrics-server';
import { WorkerMetrics } from './metrics/worker-metrics';
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
  static forRoot(config: WorkerConfig, connection: Db): DynamicModule {
    return {
      module: WorkerModule,
      imports: [DatabaseModule.forRoot({ connection, key: config.databaseKey })],
      providers: [
        { provide: WorkerConfig, useValue: config },
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
