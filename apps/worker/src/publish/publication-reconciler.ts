import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { WorkerConfig } from '../config/worker.config';
import { PublishProcessor } from './publish.processor';

/**
 * Checks failed publications against the remote side every TFTSR_PUBLISH_RECONCILE_INTERVAL_MS: a create that
 * timed out may have committed after the last retry, and the object it made must not be lost or duplicated.
 */
@Injectable()
export class PublicationReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('PublicationReconciler');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly processor: PublishProcessor,
    private readonly config: WorkerConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => this.tick(), this.config.TFTSR_PUBLISH_RECONCILE_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.processor
      .reconcileFailed()
      .then(({ checked, found }) => {
        if (checked > 0) this.logger.log(`checked ${checked} failed publication(s) against the remote side; found ${found}`);
      })
      .catch((err: Error) => this.logger.warn(`publication reconciler: ${err.message}`))
      .finally(() => {
        this.running = null;
      });
  }
}
