import { DynamicModule, Module } from '@nestjs/common';
import { Db } from '../../../libs/db/src';
import { DatabaseModule } from '../../../libs/db/src/database.module';
import { ApiConfig } from './config/api.config';
import { HealthModule } from './health/health.module';
import { QueueModule } from './queue/queue.module';
import { SystemModule } from './system/system.module';

@Module({})
export class AppModule {
  static forRoot(config: ApiConfig, connection: Db): DynamicModule {
    return {
      module: AppModule,
      imports: [
        { module: ConfigHolder, global: true, providers: [{ provide: ApiConfig, useValue: config }], exports: [ApiConfig] },
        DatabaseModule.forRoot({ connection, key: config.databaseKey }),
        QueueModule,
        HealthModule,
        SystemModule,
      ],
    };
  }
}

@Module({})
class ConfigHolder {}
