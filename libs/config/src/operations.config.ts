import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min, registerDecorator, ValidationArguments } from 'class-validator';

const MIB = 1024 * 1024;

/**
 * Variables for running the service for a long time: Redis job retention, WAL checkpoints, readiness
 * thresholds and the worker watchdog. BaseConfig extends this, so every process and the tool validate them
 * once at boot; each is read only by the process that needs it (noted on each).
 */
export class OperationsConfig {
  /** API (enqueue): finished outbox jobs stay in Redis this long, and at most this many per queue. */
  @Type(() => Number)
  @IsInt()
  @Min(60)
  TFTSR_JOB_KEEP_COMPLETED_SECONDS = 24 * 3600;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  TFTSR_JOB_KEEP_COMPLETED_COUNT = 10000;

  /** API (enqueue): failed jobs are kept longer, so an operator can read and retry them on the dashboard. */
  @Type(() => Number)
  @IsInt()
  @Min(60)
  TFTSR_JOB_KEEP_FAILED_SECONDS = 7 * 24 * 3600;

  @Type(() => Number)
  @IsInt()
  @Min(1)
  TFTSR_JOB_KEEP_FAILED_COUNT = 10000;

  /** Both processes: a -wal file larger than this is checkpointed and truncated once no reader holds it. */
  @Type(() => Number)
  @IsInt()
  @Min(MIB)
  TFTSR_WAL_CHECKPOINT_BYTES = 64 * MIB;

  /** Both processes: how often the WAL size is looked at; 0 turns the checkpoint monitor off. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  TFTSR_WAL_CHECK_INTERVAL_MS = 10000;

  /** API readiness: below this many free bytes on the data directory's filesystem the API reports not ready. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  TFTSR_MIN_FREE_DISK_BYTES = 512 * MIB;

  /** API readiness: the write lock must be obtainable within this long, or the database counts as locked. */
  @Type(() => Number)
  @IsInt()
  @Min(100)
  @Max(60000)
  TFTSR_READY_DB_LOCK_MS = 2000;

  /** API readiness: a pending outbox row older than this while Redis has been up as long means the relay is stuck. */
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  TFTSR_READY_OUTBOX_MAX_AGE_MS = 120000;

  /** Worker: how often the watchdog looks at each queue's BullMQ worker; 0 turns it off. */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  TFTSR_WATCHDOG_INTERVAL_MS = 5000;

  /** Worker: jobs waiting, a free slot, and none picked up for this long: the BullMQ worker is re-created. */
  @Type(() => Number)
  @IsInt()
  @Min(500)
  TFTSR_WATCHDOG_STUCK_MS = 60000;

  /** Worker: the connection dropped and no `ready` followed within this long, though Redis answers: re-created. */
  @Type(() => Number)
  @IsInt()
  @Min(500)
  TFTSR_WATCHDOG_RECONNECT_MS = 30000;

  /**
   * Both processes: how long in-flight requests and running jobs may take to finish after SIGTERM; jobs still
   * running then are left to stall and be retried. Whatever stops the apps waits SHUTDOWN_KILL_MARGIN_MS more.
   */
  @Type(() => Number)
  @IsInt()
  @Min(0)
  TFTSR_SHUTDOWN_GRACE_MS = 25000;

  /** The TFTSR_JOB_KEEP_* variables in the shape of libs/jobs' JobRetention. */
  get jobRetention(): { completedSeconds: number; completedCount: number; failedSeconds: number; failedCount: number } {
    return {
      completedSeconds: this.TFTSR_JOB_KEEP_COMPLETED_SECONDS,
      completedCount: this.TFTSR_JOB_KEEP_COMPLETED_COUNT,
      failedSeconds: this.TFTSR_JOB_KEEP_FAILED_SECONDS,
      failedCount: this.TFTSR_JOB_KEEP_FAILED_COUNT,
    };
  }

  /**
   * Test only (the disk-full stand-in where no small filesystem can be mounted): blob writes fail with ENOSPC
   * once the blob store would hold more than this many bytes. Refused unless NODE_ENV=test.
   */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @TestOnly()
  TFTSR_TEST_DISK_QUOTA_BYTES?: number;

  /** Test only (a skewed host clock): Date.now() of the process runs this many ms ahead (or behind). Refused unless NODE_ENV=test. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @TestOnly()
  TFTSR_TEST_CLOCK_OFFSET_MS?: number;
}

/** Applies TFTSR_TEST_CLOCK_OFFSET_MS (validated test-only) to Date.now(), once, at the start of an app. */
export function applyTestClockOffset(config: { NODE_ENV: string; TFTSR_TEST_CLOCK_OFFSET_MS?: number }): void {
  const offset = config.TFTSR_TEST_CLOCK_OFFSET_MS;
  if (config.NODE_ENV !== 'test' || !offset) return;
  const real = Date.now.bind(Date);
  Date.now = () => real() + offset;
}

/** A fault-injection variable must never take effect outside the test suite. */
function TestOnly() {
  return (object: object, propertyName: string) =>
    registerDecorator({
      name: 'testOnly',
      target: object.constructor,
      propertyName,
      validator: {
        validate: (_value: unknown, args: ValidationArguments) => (args.object as { NODE_ENV?: string }).NODE_ENV === 'test',
        defaultMessage: () => `${propertyName} is a test-only setting; refused unless NODE_ENV=test`,
      },
    });
}
