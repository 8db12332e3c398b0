import { Queue, Worker } from 'bullmq';
import { BaseConfig, loadConfig } from '@tftsr/config';
import { uniqueQueuePrefix } from '@tftsr/test-support/temp-dir';
import { waitFor } from '@tftsr/test-support/app-processes';
import { DEFAULT_JOB_RETENTION, JOB_POLICY, jobOptions } from './contracts';
import { createRedisConnection } from './redis';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('job retention', () => {
  it('defaults to what JOB_POLICY and the configuration say', () => {
    expect(loadConfig(BaseConfig, {}).jobRetention).toEqual(DEFAULT_JOB_RETENTION);
    expect(jobOptions('hash')).toEqual(JOB_POLICY.hash);
    expect(jobOptions('ping')).toEqual(JOB_POLICY.ping);
  });

  it('applies the configured age and count to outbox jobs, and caps the short-lived ping by them', () => {
    const retention = loadConfig(BaseConfig, {
      TFTSR_JOB_KEEP_COMPLETED_SECONDS: '600',
      TFTSR_JOB_KEEP_COMPLETED_COUNT: '50',
      TFTSR_JOB_KEEP_FAILED_SECONDS: '86400',
      TFTSR_JOB_KEEP_FAILED_COUNT: '20',
    }).jobRetention;
    expect(jobOptions('detect_pii', retention)).toMatchObject({ attempts: 5, removeOnComplete: { age: 600, count: 50 }, removeOnFail: { age: 86400, count: 20 } });
    expect(jobOptions('ping', retention)).toMatchObject({ removeOnComplete: { age: 600, count: 50 }, removeOnFail: { age: 86400, count: 20 } });
  });

  it('keeps at most the configured number of completed jobs in Redis', async () => {
    const connection = createRedisConnection(REDIS_URL, 'worker');
    const prefix = uniqueQueuePrefix('retention');
    const queue = new Queue('system', { connection, prefix });
    const worker = new Worker('system', async () => 'ok', { connection, prefix });
    try {
      const options = jobOptions('ping', { ...DEFAULT_JOB_RETENTION, completedCount: 3 });
      for (let i = 0; i < 8; i += 1) await queue.add('ping', { ping_id: String(i) }, { ...options, jobId: `ping-${i}` });
      await waitFor(
        async () => {
          const counts = await queue.getJobCounts('wait', 'active');
          return counts.wait + counts.active === 0;
        },
        20_000,
        () => 'the jobs never ran',
      );
      expect(await queue.getCompletedCount()).toBe(3);
    } finally {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      connection.disconnect();
    }
  });
});
