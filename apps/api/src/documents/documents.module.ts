import { Module } from '@nestjs/common';
import { IssuesModule } from '../issues/issues.module';
import { DocumentsController } from './documents.controller';
import { DocumentsService } from './documents.service';

@Module({ imports: [IssuesModule], controllers: [DocumentsController], providers: [DocumentsService] })
export class DocumentsModule {}
