import { Global, Module } from '@nestjs/common';
import { Db, DB, GroupCommit, offLoopGroupCommit } from '@tftsr/db';
import { ApiConfig } from '../config/api.config';

/**
 * The API's one group commit: uploads and shipped lines that arrive together share a transaction and its fsync,
 * and no unit is answered before that fsync has ended.
 */
@Global()
@Module({
  providers: [
    {
      provide: GroupCommit,
      // In WAL mode the commit's fsync runs on the thread pool (walSync): the event loop reads the next requests meanwhile.
      useFactory: (db: Db, config: ApiConfig) => offLoopGroupCommit(db, config.TFTSR_GROUP_COMMIT_WINDOW_MS),
      inject: [DB, ApiConfig],
    },
  ],
  exports: [GroupCommit],
})
export class GroupCommitModule {}
