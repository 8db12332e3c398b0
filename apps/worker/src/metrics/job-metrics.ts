import type { Counter, Histogram } from 'prom-client';
import type { MetricsRegistry } from '@tftsr/telemetry';

/** completed; skipped (nothing to do: already done, or its entity is gone); retrying (failed, BullMQ runs it again); failed (for good). */
/** `deferred`: the job put itself back to wait (BullMQ's DelayedError), e.g. a hash job waiting for its file's scan. */
export type JobOutcome = 'completed' | 'skipped' | 'deferred' | 'retrying' | 'failed';

/** Job runs by queue, name and outcome: the same two metrics in the full worker and in a scanner (no database). */
export class JobMetrics {
  private readonly duration: Histogram<'queue' | 'name' | 'outcome'>;
  private readonly jobs: Counter<'queue' | 'name' | 'outcome'>;

  constructor(registry: MetricsRegistry) {
    this.duration = registry.histogram('tftsr_job_duration_seconds', 'Job runs by queue, job name and outcome.', [
      'queue',
      'name',
      'outcome',
    ]);
    this.jobs = registry.counter('tftsr_jobs_total', 'Job runs by queue, job name and outcome (completed, skipped, retrying, failed).', [
      'queue',
      'name',
      'outcome',
    ]);
  }

  jobFinished(queue: string, name: string, outcome: JobOutcome, seconds: number): void {
    this.jobs.inc({ queue, name, outcome });
    this.duration.observe({ queue, name, outcome }, seconds);
  }
}
