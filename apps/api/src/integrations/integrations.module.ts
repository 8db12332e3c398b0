import { Module } from '@nestjs/common';
import { SettingsModule } from '../settings/settings.module';
import { IntegrationsController } from './integrations.controller';
import { IntegrationsService } from './integrations.service';

@Module({ imports: [SettingsModule], controllers: [IntegrationsController], providers: [IntegrationsService] })
export class IntegrationsModule {}
