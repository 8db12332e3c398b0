import { Queue } from 'bullmq';
import { createRedisConnection, HASH_BEHIND_SCAN_MS, type RedisClient } from '@tftsr/jobs';
import { JobProducer } from '@tftsr/api/queue/job-producer.service';
import { REDIS_URL } from '../support/app-processes';
import { uniqueQueuePrefix } from '../support/temp-dir';

/** The relay's way into BullMQ, against a real Redis under a prefix of its own. */
describe('JobProducer.enqueueMany', () => {
  let connection: RedisClient;
  let prefix: string;
  let sut: JobProducer;
  let ingest: Queue;

  beforeEach(async () => {
    prefix = uniqueQueuePrefix('producer');
    connection = createRedisConnection({ kind: 'standalone', url: REDIS_URL }, 'producer');
    sut = new JobProducer(connection, prefix);
    ingest = new Queue('ingest', { connection, prefix });
    // The producer refuses at once while its connection is not ready.
    await ingest.waitUntilReady();
  });
  afterEach(async () => {
    await ingest.obliterate({ force: true });
    await ingest.close();
    // Closes its queues and the connection.
    await sut.onApplicationShutdown();
  });

  it('starts a hash job sent with its file’s scan later, and every other job at once', async () => {
    await sut.enqueueMany([
      { name: 'hash', payload: { outbox_id: 'o1', log_file_id: 'f1' } },
      { name: 'detect_pii', payload: { outbox_id: 'o2', log_file_id: 'f1' } },
      // A hash job alone (its scan went out earlier, or failed): nothing to wait for.
      { name: 'hash', payload: { outbox_id: 'o3', log_file_id: 'f2' } },
    ]);

    const states = await Promise.all(['hash-o1', 'detect_pii-o2', 'hash-o3'].map((id) => ingest.getJobState(id)));
    expect(states).toEqual(['delayed', 'waiting', 'waiting']);
    expect((await ingest.getJob('hash-o1'))?.opts.delay).toBe(HASH_BEHIND_SCAN_MS);
  });
});
