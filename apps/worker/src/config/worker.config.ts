import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { BaseConfig } from '../../../../libs/config/src';

export class WorkerConfig extends BaseConfig {
  /** Jobs each queue runs at once in this process. */
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(64)
  TFTSR_WORKER_CONCURRENCY = 2;

  /**
   * A job's lock lasts this long and is renewed while the job runs; a worker that dies leaves it to expire,
   * and the job runs again once the stall check finds it. Shorter means faster recovery, longer tolerates
   * a busier event loop.
   */
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  TFTSR_WORKER_LOCK_MS = 30000;

  /** How long running jobs may take to finish after SIGTERM; then they are left to stall and be retried. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  TFTSR_SHUTDOWN_GRACE_MS = 25000;
}
