import { Module } from '@nestjs/common';
import { SettingsModule } from '../settings/settings.module';
import { LogFilesController } from './log-files.controller';
import { LogFilesService } from './log-files.service';
import { ProgressEvents } from './progress-events.service';

@Module({ imports: [SettingsModule], controllers: [LogFilesController], providers: [LogFilesService, ProgressEvents] })
export class LogFilesModule {}
