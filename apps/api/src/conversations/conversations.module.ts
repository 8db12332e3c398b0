import { Module } from '@nestjs/common';
import { IssuesModule } from '../issues/issues.module';
import { SettingsModule } from '../settings/settings.module';
import { AiProviderClient } from './ai-provider.client';
import { ConversationsController } from './conversations.controller';
import { ConversationsService } from './conversations.service';

@Module({
  imports: [IssuesModule, SettingsModule],
  controllers: [ConversationsController],
  providers: [ConversationsService, AiProviderClient],
})
export class ConversationsModule {}
