import { DynamicModule, Module } from '@nestjs/common';
import { DatabaseModule } from '../../../libs/db/src/database.module';
import { WorkerConfig } from './config/worker.config';
import { QUEUE_PROCESSORS } from './processor';
import { SystemProcessor } from './system.processor';
import { WorkerRunner } from './worker-runner.service';

@Module({})
export class WorkerModule {
  static forRoot(config: WorkerConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        DatabaseModule.forRoot({
          path: config.databasePath,
          key: config.databaseKey,
          synchronous: config.TFTSR_DB_SYNCHRONOUS,
          busyTimeoutMs: config.TFTSR_DB_BUSY_TIMEOUT_MS,
          migrate: true,
        }),
      ],
      providers: [
        { provide: WorkerConfig, useValue: config },
        SystemProcessor,
        { provide: QUEUE_PROCESSORS, useFactory: (...ps) => ps, inject: [SystemProcessor] },
        WorkerRunner,
      ],
    };
  }
}
