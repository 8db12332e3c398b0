import { Module } from '@nestjs/common';
import { SettingsModule } from '../settings/settings.module';
import { LogChunksService } from './log-chunks.service';
import { LogStreamsController } from './log-streams.controller';

@Module({
  imports: [SettingsModule],
  controllers: [LogStreamsController],
  providers: [LogChunksService],
  exports: [LogChunksService],
})
export class LogStreamsModule {}
