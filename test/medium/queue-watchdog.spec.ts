import type { Job } from 'bullmq';
import { Queue, Worker } from 'bullmq';
import { createRedisConnection, type RedisClient } from '@tftsr/jobs';
import { freePort, waitFor } from '../support/app-processes';
import { uniqueQueuePrefix } from '../support/temp-dir';
import type { JobProcessor, WatchdogSettings, WorkerHandle } from '@tftsr/worker/watchdog';
import { QueueWatchdog, queueProbe } from '@tftsr/worker/watchdog';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** ioredis' disconnect() on a connection whose socket is already closed leaves a 2 s timer that keeps Jest running. */
function disconnect(connection: RedisClient): void {
  if (connection.status !== 'end') connection.disconnect();
}

/**
 * Real Redis and real BullMQ workers, a unique prefix per test. The watchdog's clock is the test's, so "no job
 * for N seconds" is a step of the clock, not a wait; the stuck states themselves are real.
 */
describe('QueueWatchdog', () => {
  let prefix: string;
  let probeConnection: RedisClient;
  let queue: Queue;
  let clock: number;
  let sut: QueueWatchdog;
  const handles: WorkerHandle[] = [];
  const processed: string[] = [];
  const warnings: string[] = [];
  const logger = { log: () => undefined, warn: (m: string) => warnings.push(m) };
  const settings: WatchdogSettings = { intervalMs: 0, stuckMs: 60_000, reconnectMs: 30_000, concurrency: 1, retireGraceMs: 1000 };
  let runRetryDelay: number;

  const create = (process: JobProcessor): WorkerHandle => {
    const connection = createRedisConnection({ kind: 'standalone', url: REDIS_URL }, 'worker');
    // After a connection error BullMQ waits runRetryDelay (15 s by default) before it fetches again, and close()
    // does not cut that wait short: a worker whose connection a test dropped would keep Jest from exiting.
    const worker = new Worker('system', process, { connection, prefix, concurrency: settings.concurrency, runRetryDelay });
    worker.on('error', () => undefined);
    handles.push({ worker, connection });
    return { worker, connection };
  };

  function watchdog(
    processor: JobProcessor = async (job: Job) => void processed.push(job.id as string),
    probe = queueProbe(queue, probeConnection),
  ) {
    sut = new QueueWatchdog('system', create, processor, probe, settings, logger, () => clock).start();
    return sut;
  }

  beforeEach(() => {
    prefix = uniqueQueuePrefix('watchdog');
    probeConnection = createRedisConnection({ kind: 'standalone', url: REDIS_URL }, 'producer');
    queue = new Queue('system', { connection: probeConnection, prefix });
    clock = 1_000_000;
    runRetryDelay = 100;
    processed.length = 0;
    warnings.length = 0;
  });
  afterEach(async () => {
    sut.stop();
    await sut.retired();
    await Promise.all(handles.splice(0).map(async (h) => (await h.worker.close(true), disconnect(h.connection))));
    await queue.obliterate({ force: true });
    await queue.close();
    disconnect(probeConnection);
  });

  const add = (...ids: string[]) => Promise.all(ids.map((id) => queue.add('ping', { ping_id: id }, { jobId: id })));

  it('re-creates a worker that stopped taking jobs while jobs wait, and the new one runs them', async () => {
    watchdog();
    await sut.worker.waitUntilReady();
    // The stuck state: this worker takes no more jobs, though Redis and the queue are fine.
    await sut.worker.pause(true);
    await add('a', 'b', 'c');
    // A blocking fetch already under way when the worker was paused may take one job: let it finish first, so
    // its pickup is seen at the start of the fake minute and not in the middle of it.
    await waitFor(
      async () => {
        const counts = await queue.getJobCounts('active', 'waiting', 'completed');
        return (counts.active === 0 && counts.waiting + counts.completed === 3 && processed.length === counts.completed) || undefined;
      },
      10_000,
      () => `processed ${processed.join(',')}`,
    );

    expect(await sut.check()).toBeNull();
    clock += 59_000;
    expect(await sut.check()).toBeNull();
    clock += 1_000;
    // Usually 3; 2 when the worker's blocking fetch, already under way when it was paused, took one.
    expect(await sut.check()).toMatch(/^[23] job\(s\) waiting, a free slot, and no job picked up for 60\.0 s$/);

    expect(sut.recreations).toBe(1);
    expect(handles).toHaveLength(2);
    expect(sut.worker).toBe(handles[1].worker);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^watchdog: re-creating the BullMQ worker of queue system: [23] job\(s\) waiting, a free slot, and no job picked up for 60\.0 s$/,
      ),
    ]);
    await waitFor(
      async () => processed.length === 3,
      20_000,
      () => `processed ${processed.join(',')}`,
    );
    expect(processed.sort()).toEqual(['a', 'b', 'c']);
  });

  it('leaves a worker alone whose every slot is busy with a long job, however long others wait', async () => {
    let release!: () => void;
    const running = new Promise<void>((resolve) => (release = resolve));
    watchdog(async (job) => {
      if (job.id === 'long') await running;
      processed.push(job.id as string);
    });
    await add('long');
    await waitFor(
      async () => (await queue.getActiveCount()) === 1,
      20_000,
      () => 'the long job never started',
    );
    await add('next');
    clock += 3600_000;
    expect(await sut.check()).toBeNull();
    clock += 3600_000;
    expect(await sut.check()).toBeNull();
    release();
    await waitFor(
      async () => processed.length === 2,
      20_000,
      () => `processed ${processed.join(',')}`,
    );
    expect(sut.recreations).toBe(0);
  });

  it('leaves a paused queue alone: its jobs are meant to wait', async () => {
    watchdog();
    await queue.pause();
    await add('a');
    clock += 3600_000;
    expect(await sut.check()).toBeNull();
    clock += 3600_000;
    expect(await sut.check()).toBeNull();
    expect(sut.recreations).toBe(0);
  });

  it('re-creates a worker whose connection dropped and never became ready again, while Redis answers', async () => {
    watchdog();
    await sut.worker.waitUntilReady();
    // ioredis' disconnect() never reconnects: the 'ready' the worker waits for will not come.
    sut.connection.disconnect();
    await waitFor(
      async () => sut.connection.status === 'end',
      5_000,
      () => sut.connection.status,
    );
    clock += 29_000;
    expect(await sut.check()).toBeNull();
    clock += 1_000;
    expect(await sut.check()).toMatch(/^its Redis connection dropped 30\.0 s ago and never became ready again, though Redis answers$/);
    await add('after');
    await waitFor(
      async () => processed.includes('after'),
      20_000,
      () => `processed ${processed.join(',')}`,
    );
  });

  it('closes a replaced worker for good when its fetch was retrying after the dropped connection', async () => {
    // Longer than the retire grace (1 s here), as BullMQ's default 15 s can be in production: the old worker's pause
    // then ends after its close().
    runRetryDelay = 5000;
    watchdog();
    await sut.worker.waitUntilReady();
    const old = handles[0];
    let [closed, pauseEnded] = [false, false];
    old.worker.on('closed', () => (closed = true));
    old.worker.on('paused', () => (pauseEnded = true));
    sut.connection.disconnect();
    await waitFor(
      async () => sut.connection.status === 'end',
      5_000,
      () => sut.connection.status,
    );
    // The blocking fetch (on BullMQ's own connection) takes the job's marker; moving the job to active then fails on
    // the dropped connection, and the fetch waits runRetryDelay before it tries again.
    await add('during');
    await waitFor(
      async () => (await probeConnection.exists(`${prefix}:system:marker`)) === 0 || undefined,
      5_000,
      () => 'the blocking fetch never took the marker',
    );
    clock += 30_000;
    expect(await sut.check()).toMatch(/^its Redis connection dropped/);
    await sut.retired();
    expect(closed).toBe(true);

    await waitFor(
      async () => pauseEnded || undefined,
      20_000,
      () => 'the old worker never finished pausing',
    );
    const blocking = await old.worker.backend.blockingClient;
    await waitFor(
      async () => blocking?.status === 'end' || undefined,
      5_000,
      () => `the closed worker's blocking connection is ${blocking?.status}`,
    );
    await waitFor(
      async () => processed.includes('during'),
      20_000,
      () => `processed ${processed.join(',')}`,
    );
  });

  it('does not re-create anything while Redis itself is unreachable: a new worker would not help', async () => {
    // Its socket never opens, so disconnect() has nothing to wait for: no 2 s timer left behind.
    const deadConnection = createRedisConnection({ kind: 'standalone', url: `redis://127.0.0.1:${await freePort()}` }, 'producer', {
      disconnectTimeout: 0,
    });
    deadConnection.on('error', () => undefined);
    const deadQueue = new Queue('system', { connection: deadConnection, prefix });
    deadQueue.on('error', () => undefined);
    try {
      watchdog(undefined, queueProbe(deadQueue, deadConnection));
      await sut.worker.waitUntilReady();
      sut.connection.disconnect();
      await waitFor(
        async () => sut.connection.status === 'end',
        5_000,
        () => sut.connection.status,
      );
      clock += 3600_000;
      expect(await sut.check()).toBeNull();
      expect(sut.recreations).toBe(0);
    } finally {
      deadConnection.disconnect();
      await deadQueue.close();
    }
  });
});
