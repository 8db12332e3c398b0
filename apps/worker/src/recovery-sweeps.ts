import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { PiiSpanRepository, TransactionRunner } from '@tftsr/db';
import { BlobStore, TempSweeper } from '@tftsr/storage';

/**
 * What a crash leaves behind, removed at start (issue 22): hidden spans written by scans that died (original values, so
 * they must not linger) and partial files in blobs/tmp (also every few minutes, see TempSweeper).
 */
@Injectable()
export class RecoverySweeps implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('RecoverySweeps');
  private readonly temp: TempSweeper;
  private readonly startedAt = Date.now();

  constructor(
    private readonly tx: TransactionRunner,
    @Inject(BlobStore) private readonly blobs: BlobStore,
    private readonly spans: PiiSpanRepository,
  ) {
    this.temp = new TempSweeper(blobs, this.logger);
  }

  async onApplicationBootstrap(): Promise<void> {
    this.sweepStaging();
    await this.blobs.probe();
    await this.temp.start();
  }

  onApplicationShutdown(): void {
    this.temp.stop();
  }

  /**
   * Every scan run begun before this worker started, and its hidden spans. A scan still running in another worker
   * would lose its spans here, but its next write or its publish finds its run gone and it scans again: never a
   * partial set.
   */
  sweepStaging(): number {
    // eslint-disable-next-line no-restricted-syntax -- at start-up, before the worker takes any job: nothing else waits on the loop
    const removed = this.tx.write(() => this.spans.sweepRunsBefore(this.startedAt));
    if (removed > 0) this.logger.warn(`removed ${removed} hidden span(s) of scans that did not finish`);
    return removed;
  }
}
