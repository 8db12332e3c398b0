import { Global, Module } from '@nestjs/common';
import { Db, DB, GroupCommit } from '@tftsr/db';
import { ApiConfig } from '../config/api.config';

/** The API's one group commit: uploads and shipped lines that arrive together share a transaction and its fsync. */
@Global()
@Module({
  providers: [
    {
      provide: GroupCommit,
      useFactory: (db: Db, config: ApiConfig) => new GroupCommit(db, config.TFTSR_GROUP_COMMIT_WINDOW_MS),
      inject: [DB, ApiConfig],
    },
  ],
  exports: [GroupCommit],
})
export class GroupCommitModule {}
