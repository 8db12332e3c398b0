import { Module } from '@nestjs/common';
import { SettingsModule } from '../settings/settings.module';
import { LogFileContentService } from './log-file-content.service';
import { LogFileReviewController } from './log-file-review.controller';
import { LogFilesController } from './log-files.controller';
import { LogFilesService } from './log-files.service';
import { PiiSpansService } from './pii-spans.service';
import { ProgressEvents } from './progress-events.service';
import { RedactionsService } from './redactions.service';

@Module({
  imports: [SettingsModule],
  controllers: [LogFilesController, LogFileReviewController],
  providers: [LogFilesService, ProgressEvents, PiiSpansService, RedactionsService, LogFileContentService],
})
export class LogFilesModule {}
