import { Module } from '@nestjs/common';
import { AuditController } from './audit.controller';
import { AuditService } from './audit.service';

/** AuditLogRepository comes from DatabaseModule, which is global. */
@Module({ controllers: [AuditController], providers: [AuditService] })
export class AuditModule {}
