/** Job retention in real Redis with a real BullMQ worker; the options themselves: libs/jobs/src/retention.spec.ts. */
import { Queue, Worker } from 'bullmq';
import { DEFAULT_JOB_RETENTION, jobOptions } from '../../libs/jobs/src/contracts';
import { createRedisConnection } from '../../libs/jobs/src/redis';
import { waitFor } from '../support/app-processes';
import { uniqueQueuePrefix } from '../support/temp-dir';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('job retention', () => {
  it('keeps at most the configured number of completed jobs in Redis', async () => {
    const connection = createRedisConnection({ kind: 'standalone', url: REDIS_URL }, 'worker');
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
