import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Db, DB, WalMonitor } from '@tftsr/db';
import { ApiConfig } from '../config/api.config';

/** Keeps the -wal file under TFTSR_WAL_CHECKPOINT_BYTES (see libs/db/src/wal.ts); the worker runs one too. */
@Injectable()
export class WalCheckpointService implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly monitor: WalMonitor;

  constructor(@Inject(DB) db: Db, config: ApiConfig) {
    this.monitor = new WalMonitor(db, {
      path: config.databasePath,
      thresholdBytes: config.TFTSR_WAL_CHECKPOINT_BYTES,
      intervalMs: config.TFTSR_WAL_CHECK_INTERVAL_MS,
      logger: new Logger('WalMonitor'),
    });
  }

  onApplicationBootstrap(): void {
    this.monitor.start();
  }

  onApplicationShutdown(): void {
    this.monitor.stop();
  }
}
