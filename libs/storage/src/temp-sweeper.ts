import type { BlobStore } from './blob-store';

/** Every five minutes: a crashed writer's partial file does not wait for the next start (issue 22, item 5). */
export const TEMP_SWEEP_INTERVAL_MS = 5 * 60 * 1000;

interface SweepLogger {
  log(message: string): void;
  warn(message: string): void;
}

/** Sweeps `blobs/tmp` at start and periodically; the API and the worker each run one (see BlobStore.sweepTemp). */
export class TempSweeper {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly blobs: BlobStore,
    private readonly logger: SweepLogger,
    private readonly intervalMs = TEMP_SWEEP_INTERVAL_MS,
  ) {}

  async start(): Promise<void> {
    await this.sweep();
    this.timer = setInterval(() => void this.sweep(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async sweep(): Promise<number> {
    try {
      const { removed, bytes } = await this.blobs.sweepTemp();
      if (removed > 0) this.logger.warn(`removed ${removed} partial file(s) (${bytes} bytes) left in blobs/tmp by interrupted writes`);
      return removed;
    } catch (err) {
      this.logger.warn(`could not sweep blobs/tmp: ${(err as Error).message}`);
      return 0;
    }
  }
}
