import { DynamicModule, Module } from '@nestjs/common';
import { Db } from '../../../libs/db/src';
import { DatabaseModule } from '../../../libs/db/src/database.module';
import { WorkerConfig } from './config/worker.config';
import { QUEUE_PROCESSORS } from './processor';
import { SystemProcessor } from './system.processor';
import { WorkerRunner } from './worker-runner.service';

@Module({})
export class WorkerModule {
  static forRoot(config: WorkerConfig, connection: Db): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        DatabaseModule.forRoot({ connection, key: config.databaseKey }),
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
