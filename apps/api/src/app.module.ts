import { DynamicModule, Module } from '@nestjs/common';
import { DatabaseModule } from '../../../libs/db/src/database.module';
import { ApiConfig } from './config/api.config';
import { HealthModule } from './health/health.module';
import { QueueModule } from './queue/queue.module';
import { SystemModule } from './system/system.module';

@Module({})
export class AppModule {
  static forRoot(config: ApiConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        { module: ConfigHolder, global: true, providers: [{ provide: ApiConfig, useValue: config }], exports: [ApiConfig] },
        DatabaseModule.forRoot({
          path: config.databasePath,
          key: config.databaseKey,
          synchronous: config.TFTSR_DB_SYNCHRONOUS,
          busyTimeoutMs: config.TFTSR_DB_BUSY_TIMEOUT_MS,
          migrate: true,
        }),
        QueueModule,
        HealthModule,
        SystemModule,
      ],
    };
  }
}

@Module({})
class ConfigHolder {}
