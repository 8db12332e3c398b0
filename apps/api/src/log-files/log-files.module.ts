import { Module } from '@nestjs/common';
import { SettingsModule } from '../settings/settings.module';
import { LogFileIntake } from './log-file-intake';
import { LogFileContentService } from './log-file-content.service';
import { LogFileReviewController } from './log-file-review.controller';
import { LogFilesController } from './log-files.controller';
import { LogFilesService } from './log-files.service';
import { PiiDecisionsService } from './pii-decisions.service';
import { PiiReviewController } from './pii-review.controller';
import { PiiReviewService } from './pii-review.service';
import { PiiSpansService } from './pii-spans.service';
import { ProgressEvents } from './progress-events.service';
import { RedactionsService } from './redactions.service';
import { ReviewIndexService } from './review-index.service';

@Module({
  imports: [SettingsModule],
  controllers: [LogFilesController, LogFileReviewController, PiiReviewController],
  providers: [
    LogFileIntake,
    LogFilesService,
    ProgressEvents,
    PiiSpansService,
    RedactionsService,
    LogFileContentService,
    ReviewIndexService,
    PiiReviewService,
    PiiDecisionsService,
  ],
  exports: [LogFileIntake],
})
export class LogFilesModule {}
