import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { Db, TransactionRunner } from './database';
import { deriveKey } from './keys';
import { AuditLogRepository } from './repositories/audit-log.repository';
import { AiConversationRepository } from './repositories/ai-conversation.repository';
import { AiMessageRepository } from './repositories/ai-message.repository';
import { ApiKeyRepository } from './repositories/api-key.repository';
import { CredentialRepository } from './repositories/credential.repository';
import { DocumentRepository } from './repositories/document.repository';
import { IdempotencyKeyRepository } from './repositories/idempotency-key.repository';
import { ImageAttachmentRepository } from './repositories/image-attachment.repository';
import { IntegrationConfigRepository } from './repositories/integration-config.repository';
import { IssueRepository } from './repositories/issue.repository';
import { KnownIdsRepository } from './repositories/known-ids.repository';
import { LogFileIngestRepository } from './repositories/log-file-ingest.repository';
import { LogFileLineIndexRepository } from './repositories/log-file-line-index.repository';
import { LogFileProcessingRepository } from './repositories/log-file-processing.repository';
import { LogFileRedactionRepository } from './repositories/log-file-redaction.repository';
import { LogFileRepository } from './repositories/log-file.repository';
import { LogStreamRepository } from './repositories/log-stream.repository';
import { MigrationRepository } from './repositories/migration.repository';
import { OutboxRepository } from './repositories/outbox.repository';
import { PiiDecisionRepository } from './repositories/pii-decision.repository';
import { PiiFileValueRepository } from './repositories/pii-file-value.repository';
import { PiiReviewRepository } from './repositories/pii-review.repository';
import { PiiPseudonymRepository } from './repositories/pii-pseudonym.repository';
import { PiiSpanRepository } from './repositories/pii-span.repository';
import { PublicationRepository } from './repositories/publication.repository';
import { RedactionRequestRepository } from './repositories/redaction-request.repository';
import { ResolutionStepRepository } from './repositories/resolution-step.repository';
import { ServiceStateRepository } from './repositories/service-state.repository';
import { SettingRepository } from './repositories/setting.repository';
import { WebhookRepository } from './repositories/webhook.repository';
import { DB } from './tokens';

/** Every repository that needs only the connection; the apps take them from Nest's DI, never with `new`. */
export const REPOSITORIES = [
  AiConversationRepository,
  AiMessageRepository,
  ApiKeyRepository,
  CredentialRepository,
  DocumentRepository,
  IdempotencyKeyRepository,
  ImageAttachmentRepository,
  IntegrationConfigRepository,
  IssueRepository,
  KnownIdsRepository,
  LogFileIngestRepository,
  LogFileLineIndexRepository,
  LogFileProcessingRepository,
  LogFileRedactionRepository,
  LogFileRepository,
  LogStreamRepository,
  MigrationRepository,
  OutboxRepository,
  PiiDecisionRepository,
  PiiFileValueRepository,
  PiiPseudonymRepository,
  PiiReviewRepository,
  PiiSpanRepository,
  PublicationRepository,
  RedactionRequestRepository,
  ResolutionStepRepository,
  ServiceStateRepository,
  SettingRepository,
  WebhookRepository,
] as const;

export interface DatabaseModuleOptions {
  /** Opened, proved and migrated by the app's bootstrap before Nest starts, so key errors stay one clean line. */
  connection: Db;
  /** The database key, from which the audit HMAC key (and later others) derive. */
  key: string | null;
}

@Injectable()
class DatabaseCloser implements OnApplicationShutdown {
  constructor(@Inject(DB) private readonly db: Db) {}

  onApplicationShutdown(): void {
    if (this.db.open) this.db.close();
  }
}

/** Gives both apps one connection to the shared file, and the repositories over it. */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseModuleOptions): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        { provide: DB, useValue: options.connection },
        {
          provide: AuditLogRepository,
          useFactory: (db: Db) => new AuditLogRepository(db, deriveKey(options.key, 'audit-hmac')),
          inject: [DB],
        },
        { provide: TransactionRunner, useFactory: (db: Db) => new TransactionRunner(db), inject: [DB] },
        ...REPOSITORIES.map((repository) => ({ provide: repository, useFactory: (db: Db) => new repository(db), inject: [DB] })),
        DatabaseCloser,
      ],
      exports: [DB, AuditLogRepository, TransactionRunner, ...REPOSITORIES],
    };
  }
}
