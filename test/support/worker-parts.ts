import {
  AuditLogRepository,
  deriveKey,
  IssueRepository,
  LogFileIngestRepository,
  offLoopGroupCommit,
  LogFileProcessingRepository,
  LogFileRedactionRepository,
  OutboxRepository,
  PiiPseudonymRepository,
  PiiDecisionRepository,
  PiiReviewRepository,
  PiiSpanRepository,
  RedactionRequestRepository,
  SettingRepository,
  TransactionRunner,
  WebhookRepository,
} from '@tftsr/db';
import { ValueKeys } from '@tftsr/redaction';
import type { Db, GroupCommit } from '@tftsr/db';
import type { BlobStore } from '@tftsr/storage';
import type { WorkerConfig } from '@tftsr/worker/config/worker.config';
import { IngestProcessor } from '@tftsr/worker/ingest.processor';
import { OutboxJobGuard } from '@tftsr/worker/outbox-job';
import { PiiScanService } from '@tftsr/worker/pii-scan.service';
import { RedactionVersionWriter } from '@tftsr/worker/redaction-version.writer';
import { RedactorService } from '@tftsr/worker/redactor.service';
import type { RemoteScanner } from '@tftsr/worker/scanner/remote-scanner';
import { RetentionSweeper } from '@tftsr/worker/retention-sweeper.service';
import { WebhookDeliveryService } from '@tftsr/worker/webhooks/webhook-delivery.service';
import { TEST_KEY } from './temp-dir';

/**
 * The worker's services wired as WorkerModule wires them through Nest's DI, built by hand so a medium test can
 * make one synchronously over its own database: real repositories, no mocks.
 */
export const auditFor = (db: Db, key: string = TEST_KEY) => new AuditLogRepository(db, deriveKey(key, 'audit-hmac'));

export const scannerFor = (db: Db, blobs: BlobStore, group: GroupCommit) =>
  new PiiScanService(group, blobs, new PiiSpanRepository(db), new LogFileProcessingRepository(db));

/** How a test's IngestProcessor differs from the default: its group commit, its worker settings. */
export interface IngestProcessorOptions {
  group?: GroupCommit;
  config?: WorkerConfig;
}

/** With `remote`, redacted copies are written by scanners (role writer, issue 19); scans stay in this process. */
export function ingestProcessorFor(
  db: Db,
  blobs: BlobStore,
  key: string = TEST_KEY,
  remote?: RemoteScanner,
  options: IngestProcessorOptions = {},
): IngestProcessor {
  const audit = auditFor(db, key);
  const redactor = new RedactorService(blobs, new ValueKeys(key), remote);
  // One group for the job guard and the processor, as the worker module wires them.
  const group = options.group ?? offLoopGroupCommit(db, 0);
  const guard = new OutboxJobGuard(group, new OutboxRepository(db));
  const files = new LogFileIngestRepository(db);
  const spans = new PiiSpanRepository(db);
  const requests = new RedactionRequestRepository(db);
  const review = new PiiReviewRepository(db);
  const settings = new SettingRepository(db);
  const redactions = new LogFileRedactionRepository(db);
  const pseudonyms = new PiiPseudonymRepository(db);
  const versions = new RedactionVersionWriter(
    group,
    new TransactionRunner(db),
    audit,
    redactor,
    guard,
    files,
    spans,
    requests,
    redactions,
    review,
    new PiiDecisionRepository(db),
    pseudonyms,
    settings,
  );
  return new IngestProcessor(
    db,
    audit,
    scannerFor(db, blobs, group),
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
    group,
    undefined,
    options.config,
  );
}

export function webhookDeliveryFor(db: Db, config: WorkerConfig): WebhookDeliveryService {
  const group = offLoopGroupCommit(db, 0);
  const guard = new OutboxJobGuard(group, new OutboxRepository(db));
  return new WebhookDeliveryService(
    group,
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
  return new RetentionSweeper(offLoopGroupCommit(db, 0), auditFor(db), review, requests, outbox, new SettingRepository(db));
}
