import { Module } from '@nestjs/common';
import {
  AiConversationRepository,
  Db,
  DB,
  ImageAttachmentRepository,
  IssueRepository,
  LogFileRepository,
  ResolutionStepRepository,
} from '@tftsr/db';
import { SettingsModule } from '../settings/settings.module';
import { IssuesController } from './issues.controller';
import { IssuesService } from './issues.service';
import { StoredFiles } from './stored-files.service';

/** The repositories of an issue and its children: the 5-Whys and conversations modules build on them. */
const REPOSITORIES = [IssueRepository, LogFileRepository, ImageAttachmentRepository, ResolutionStepRepository, AiConversationRepository];

@Module({
  imports: [SettingsModule],
  controllers: [IssuesController],
  providers: [
    ...REPOSITORIES.map((repository) => ({ provide: repository, useFactory: (db: Db) => new repository(db), inject: [DB] })),
    IssuesService,
    StoredFiles,
  ],
  exports: REPOSITORIES,
})
export class IssuesModule {}
