import { DynamicModule, Module } from '@nestjs/common';
import { Db } from '@tftsr/db';
import { DatabaseModule } from '@tftsr/db/database.module';
import { ApiKeysModule } from './api-keys/api-keys.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { ApiConfig } from './config/api.config';
import { ConversationsModule } from './conversations/conversations.module';
import { DocumentsModule } from './documents/documents.module';
import { GroupCommitModule } from './common/group-commit.module';
import { HealthModule } from './health/health.module';
import { ImagesModule } from './images/images.module';
import { IntegrationsModule } from './integrations/integrations.module';
import { WebhooksModule } from './webhooks/webhooks.module';
import { IssuesModule } from './issues/issues.module';
import { LogFilesModule } from './log-files/log-files.module';
import { LogStreamsModule } from './log-streams/log-streams.module';
import { MetricsModule } from './metrics/metrics.module';
import { OutboxModule } from './outbox/outbox.module';
import { PublishingModule } from './publishing/publishing.module';
import { StorageModule } from './storage/storage.module';
import { QueueModule } from './queue/queue.module';
import { ResolutionStepsModule } from './resolution-steps/resolution-steps.module';
import { SettingsModule } from './settings/settings.module';
import { SystemModule } from './system/system.module';

@Module({})
export class AppModule {
  static forRoot(config: ApiConfig, connection: Db): DynamicModule {
    return {
      module: AppModule,
      imports: [
        { module: ConfigHolder, global: true, providers: [{ provide: ApiConfig, useValue: config }], exports: [ApiConfig] },
        DatabaseModule.forRoot({ connection, key: config.databaseKey }),
        GroupCommitModule,
        QueueModule,
        MetricsModule,
        HealthModule,
        SystemModule,
        AuthModule,
        SettingsModule,
        IssuesModule,
        ResolutionStepsModule,
        ConversationsModule,
        AuditModule,
        StorageModule.forRoot(config),
        OutboxModule,
        LogFilesModule,
        ImagesModule,
        PublishingModule,
        DocumentsModule,
        IntegrationsModule,
        WebhooksModule,
        ApiKeysModule,
        LogStreamsModule,
      ],
    };
  }
}

@Module({})
class ConfigHolder {}
