import {
  AuditLogRepository,
  deriveKey,
  IssueRepository,
  LogFileIngestRepository,
  LogFileProcessingRepository,
  LogFileRedactionRepository,
  OutboxRepository,
  PiiPseudonymRepository,
  PiiReviewRepository,
  PiiSpanRepository,
  RedactionRequestRepository,
  SettingRepository,
  WebhookRepository,
} from '../../libs/db/src';
import { ValueKeys } from '../../libs/redaction/src';
import type { Db } from '../../libs/db/src';
import type { BlobStore } from '../../libs/storage/src';
import type { WorkerConfig } from '../../apps/worker/src/config/worker.config';
import { HasherService } from '../../apps/worker/src/hasher.service';
import { IngestProcessor } from '../../apps/worker/src/ingest.processor';
import { OutboxJobGuard } from '../../apps/worker/src/outbox-job';
import { PiiScanService } from '../../apps/worker/src/pii-scan.service';
import { RedactionVersionWriter } from '../../apps/worker/src/redaction-version.writer';
import { RedactorService } from '../../apps/worker/src/redactor.service';
import { RetentionSweeper } from '../../apps/worker/src/retention-sweeper.service';
import { WebhookDeliveryService } from '../../apps/worker/src/webhooks/webhook-delivery.service';
import { TEST_KEY } from './temp-dir';

/**
 * The worker's services wired as WorkerModule wires them through Nest's DI, built by hand so a medium test can
 * make one synchronously over its own database: real repositories, no mocks.
 */
export const auditFor = (db: Db, key: string = TEST_KEY) => new AuditLogRepository(db, deriveKey(key, 'audit-hmac'));

export const scannerFor = (db: Db, blobs: BlobStore) =>
  new PiiScanService(db, blobs, new PiiSpanRepository(db), new LogFileProcessingRepository(db));

export function ingestProcessorFor(db: Db, blobs: BlobStore, key: string = TEST_KEY): IngestProcessor {
  const audit = auditFor(db, key);
  const redactor = new RedactorService(blobs, new ValueKeys(key));
  const guard = new OutboxJobGuard(db, new OutboxRepository(db));
  const files = new LogFileIngestRepository(db);
  const spans = new PiiSpanRepository(db);
  const requests = new RedactionRequestRepository(db);
  const review = new PiiReviewRepository(db);
  const settings = new SettingRepository(db);
  const redactions = new LogFileRedactionRepository(db);
  const pseudonyms = new PiiPseudonymRepository(db);
  const versions = new RedactionVersionWriter(db, audit, redactor, guard, files, spans, requests, redactions, review, pseudonyms, settings);
  return new IngestProcessor(
    db,
    audit,
    new HasherService(blobs),
    scannerFor(db, blobs),
    redactor,
    guard,
    versions,
    files,
    new LogFileProcessingRepository(db),
    spans,
    requests,
    new WebhookRepository(db),
    new OutboxRepository(db),
    review,
    settings,
  );
}

export function webhookDeliveryFor(db: Db, config: WorkerConfig): WebhookDeliveryService {
  const guard = new OutboxJobGuard(db, new OutboxRepository(db));
  return new WebhookDeliveryService(
    auditFor(db, config.databaseKey ?? TEST_KEY),
    config,
    guard,
    new WebhookRepository(db),
    new LogFileIngestRepository(db),
    new IssueRepository(db),
    new SettingRepository(db),
  );
}

export function retentionSweeperFor(db: Db): RetentionSweeper {
  const [review, requests, outbox] = [new PiiReviewRepository(db), new RedactionRequestRepository(db), new OutboxRepository(db)];
  return new RetentionSweeper(db, auditFor(db), review, requests, outbox, new SettingRepository(db));
}
