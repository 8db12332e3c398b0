import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { PiiSpanRepository, TransactionRunner } from '@tftsr/db';
import { BlobStore, TempSweeper } from '@tftsr/storage';

/**
 * What a crash leaves behind, removed at start (issue 22): spans staged by scans that died (original values, so
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
   * Everything staged before this worker started. A scan still running in another worker would lose its spans
   * here, but it counts them before it swaps them in and scans again if some are missing: never a partial set.
   */
  sweepStaging(): number {
    const removed = this.tx.write(() => this.spans.sweepStagedBefore(this.startedAt));
    if (removed > 0) this.logger.warn(`removed ${removed} span(s) left in staging by scans that did not finish`);
    return removed;
  }
}
