import { Module } from '@nestjs/common';
import { deriveKey } from '@tftsr/db';
import { CHUNK_FILE_KEY_LABEL, ChunkFiles } from '@tftsr/storage';
import { ApiConfig } from '../config/api.config';
import { LogFilesModule } from '../log-files/log-files.module';
import { SettingsModule } from '../settings/settings.module';
import { LogChunkCloser } from './log-chunk-closer.service';
import { LogChunkWriter } from './log-chunk-writer.service';
import { LogChunksService } from './log-chunks.service';
import { LogStreamsController } from './log-streams.controller';

@Module({
  imports: [SettingsModule, LogFilesModule],
  controllers: [LogStreamsController],
  providers: [
    LogChunksService,
    LogChunkWriter,
    LogChunkCloser,
    // Open chunks' append files, under {data_dir}/chunks whatever the blob store (a bucket holds only closed chunks).
    {
      provide: ChunkFiles,
      useFactory: (config: ApiConfig) => new ChunkFiles(config.dataDir, deriveKey(config.databaseKey, CHUNK_FILE_KEY_LABEL)),
      inject: [ApiConfig],
    },
  ],
  exports: [LogChunksService],
})
export class LogStreamsModule {}
