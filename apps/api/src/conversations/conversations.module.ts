import { Module } from '@nestjs/common';
import { AiMessageRepository, Db, DB } from '@tftsr/db';
import { IssuesModule } from '../issues/issues.module';
import { SettingsModule } from '../settings/settings.module';
import { AiProviderClient } from './ai-provider.client';
import { ConversationsController } from './conversations.controller';
import { ConversationsService } from './conversations.service';

@Module({
  imports: [IssuesModule, SettingsModule],
  controllers: [ConversationsController],
  providers: [{ provide: AiMessageRepository, useFactory: (db: Db) => new AiMessageRepository(db), inject: [DB] }, ConversationsService, AiProviderClient],
})
export class ConversationsModule {}
