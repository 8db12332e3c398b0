import { Module } from '@nestjs/common';
import { LogFilesModule } from '../log-files/log-files.module';
import { SettingsModule } from '../settings/settings.module';
import { LogChunksService } from './log-chunks.service';
import { LogStreamsController } from './log-streams.controller';

@Module({
  imports: [SettingsModule, LogFilesModule],
  controllers: [LogStreamsController],
  providers: [LogChunksService],
  exports: [LogChunksService],
})
export class LogStreamsModule {}
