import { Module } from '@nestjs/common';
import { IssuesModule } from '../issues/issues.module';
import { SettingsModule } from '../settings/settings.module';
import { ResolutionStepsController } from './resolution-steps.controller';
import { ResolutionStepsService } from './resolution-steps.service';

@Module({ imports: [IssuesModule, SettingsModule], controllers: [ResolutionStepsController], providers: [ResolutionStepsService] })
export class ResolutionStepsModule {}
