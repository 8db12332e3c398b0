import { Module } from '@nestjs/common';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';
import { WalCheckpointService } from './wal-checkpoint.service';

@Module({ controllers: [HealthController], providers: [HealthService, WalCheckpointService] })
export class HealthModule {}
