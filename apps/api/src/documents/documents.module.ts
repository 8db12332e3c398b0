import { Module } from '@nestjs/common';
import { IssuesModule } from '../issues/issues.module';
import { SettingsModule } from '../settings/settings.module';
import { DocumentsController } from './documents.controller';
import { DocumentsService } from './documents.service';

@Module({ imports: [IssuesModule, SettingsModule], controllers: [DocumentsController], providers: [DocumentsService] })
export class DocumentsModule {}
