import type { Job } from 'bullmq';
import { UnrecoverableError } from 'bullmq';
import { MetricsRegistry } from '@tftsr/telemetry';
import { WorkerConfig } from '../config/worker.config';
import { JobTelemetry } from './job-telemetry';
import type { JobLogger } from './job-telemetry';
import { WorkerMetrics } from './worker-metrics';

/** A plain object in place of a BullMQ job: the telemetry reads only these fields. */
const jobOf = (data: Record<string, unknown>, attemptsMade = 0, attempts = 5) =>
  ({ id: 'hash-o1', name: 'hash', data, attemptsMade, opts: { attempts } }) as unknown as Job;

describe('JobTelemetry', () => {
  let registry: MetricsRegistry;
  let lines: { level: string; line: Record<string, unknown> }[];
  let sut: JobTelemetry;
  let logger: JobLogger;

  beforeEach(() => {
    registry = new MetricsRegistry({ defaultMetrics: false });
    lines = [];
    logger = {
      debug: (line: object) => lines.push({ level: 'debug', line: line as Record<string, unknown> }),
      log: (line: object) => lines.push({ level: 'info', line: line as Record<string, unknown> }),
      warn: (line: object) => lines.push({ level: 'warn', line: line as Record<string, unknown> }),
    };
    sut = new JobTelemetry(new WorkerMetrics(registry, null as never, new WorkerConfig()), logger);
  });

  it('writes one line at the end of a run: queue, name, id, attempt, ids from the payload, outcome, start, end, duration', async () => {
    const data = { outbox_id: 'o1', log_file_id: 'f1', request_id: 'req-9', note: 'CANARY content' };
    await sut.around('ingest', jobOf(data), async () => ({ content_hash: 'h' }));
    const ends = lines.filter((l) => l.level !== 'debug');
    expect(ends).toEqual([
      {
        level: 'info',
        line: expect.objectContaining({
          queue: 'ingest',
          job_name: 'hash',
          job_id: 'hash-o1',
          attempt: 1,
          outbox_id: 'o1',
          log_file_id: 'f1',
          request_id: 'req-9',
          outcome: 'completed',
          started_at: expect.any(String),
          ended_at: expect.any(String),
          duration_ms: expect.any(Number),
        }),
      },
    ]);
    expect(JSON.stringify(lines)).not.toContain('CANARY');
  });

  it('tells skipped, retrying and failed apart, and counts each by queue, name and outcome', async () => {
    await sut.around('ingest', jobOf({}), async () => ({ skipped: true, reason: 'already done' }));
    await expect(sut.around('ingest', jobOf({}, 0), async () => Promise.reject(new Error('ECONNRESET')))).rejects.toThrow('ECONNRESET');
    await expect(sut.around('ingest', jobOf({}, 4), async () => Promise.reject(new Error('still down')))).rejects.toThrow();
    await expect(sut.around('ingest', jobOf({}, 0), async () => Promise.reject(new UnrecoverableError('bad blob')))).rejects.toThrow();
    const ends = lines.filter((l) => l.level !== 'debug').map((l) => [l.level, l.line.outcome, l.line.reason]);
    expect(ends).toEqual([
      ['info', 'skipped', undefined],
      ['warn', 'retrying', 'ECONNRESET'],
      ['warn', 'failed', 'still down'],
      ['warn', 'failed', 'bad blob'],
    ]);
    const text = await registry.metrics();
    expect(text).toContain('tftsr_jobs_total{queue="ingest",name="hash",outcome="failed"} 2');
    expect(text).toContain('tftsr_job_duration_seconds_count{queue="ingest",name="hash",outcome="skipped"} 1');
  });

  it('writes the lines of runs that ended well to the ids-only logger, and those quoting an error to the redacting one', async () => {
    const idsOnly: string[] = [];
    const quiet = (line: object) => idsOnly.push(String((line as { outcome?: string }).outcome ?? 'start'));
    sut = new JobTelemetry(new WorkerMetrics(registry, null as never, new WorkerConfig()), logger, {
      debug: quiet,
      log: quiet,
      warn: quiet,
    });
    const delayed = Object.assign(new Error('waiting for the scan of the file'), { name: 'DelayedError' });
    await sut.around('ingest', jobOf({}), async () => ({ content_hash: 'h' }));
    await sut.around('ingest', jobOf({}), async () => ({ skipped: true, reason: 'already done' }));
    await expect(sut.around('ingest', jobOf({}), async () => Promise.reject(delayed))).rejects.toBe(delayed);
    await expect(sut.around('ingest', jobOf({}), async () => Promise.reject(new Error('token=abc refused')))).rejects.toThrow();

    expect(idsOnly).toEqual(['start', 'completed', 'start', 'skipped', 'start', 'deferred', 'start']);
    expect(lines.map((l) => [l.level, l.line.outcome])).toEqual([['warn', 'retrying']]);
  });
});
