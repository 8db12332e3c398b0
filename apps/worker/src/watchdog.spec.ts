import { EventEmitter } from 'node:events';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { QueueProbe, WatchdogSettings, WorkerHandle } from './watchdog';
import { QueueWatchdog } from './watchdog';

/**
 * The watchdog's decisions, without Redis: the probe answers what the test says, the workers are stand-ins that
 * record how they were closed, and the clock is the test's. Real BullMQ workers on real Redis, in the stuck
 * states themselves: test/medium/queue-watchdog.spec.ts.
 */
describe('QueueWatchdog decisions', () => {
  const settings: WatchdogSettings = { intervalMs: 0, stuckMs: 60_000, reconnectMs: 30_000, concurrency: 1, retireGraceMs: 1000 };
  let clock: number;
  let probe: { waiting: number; paused: boolean; reachable: boolean; fails: boolean };
  let created: { worker: { paused: boolean; closed: boolean }; connection: EventEmitter & { status: string } }[];
  const warnings: string[] = [];

  const fakeProbe: QueueProbe = {
    waiting: async () => {
      if (probe.fails) throw new Error('no answer within 3000 ms');
      return probe.waiting;
    },
    paused: async () => probe.paused,
    reachable: async () => probe.reachable,
  };

  function create(): WorkerHandle {
    const worker = {
      paused: false,
      closed: false,
      pause: async () => void (worker.paused = true),
      close: async () => void (worker.closed = true),
    };
    const connection = Object.assign(new EventEmitter(), { status: 'ready', disconnect: () => void (connection.status = 'end') });
    created.push({ worker, connection });
    return { worker: worker as unknown as Worker, connection: connection as unknown as Redis };
  }

  let sut: QueueWatchdog;
  beforeEach(() => {
    clock = 1_000_000;
    probe = { waiting: 0, paused: false, reachable: true, fails: false };
    created = [];
    warnings.length = 0;
    const logger = { log: () => undefined, warn: (m: string) => warnings.push(m) };
    sut = new QueueWatchdog(
      'system',
      create,
      async () => undefined,
      fakeProbe,
      settings,
      logger,
      () => clock,
    ).start();
  });
  afterEach(() => sut.stop());

  it('re-creates the worker once jobs have waited with a free slot for stuckMs, and closes the old one', async () => {
    probe.waiting = 3;
    expect(await sut.check()).toBeNull();
    clock += 59_999;
    expect(await sut.check()).toBeNull();
    clock += 1;
    expect(await sut.check()).toBe('3 job(s) waiting, a free slot, and no job picked up for 60.0 s');
    await sut.retired();

    expect(sut.recreations).toBe(1);
    expect(created).toHaveLength(2);
    expect(created[0].worker).toEqual({ paused: true, closed: true, pause: expect.any(Function), close: expect.any(Function) });
    expect(created[0].connection.status).toBe('end');
    expect(created[1].connection.status).toBe('ready');
    expect(warnings).toEqual([
      'watchdog: re-creating the BullMQ worker of queue system: 3 job(s) waiting, a free slot, and no job picked up for 60.0 s',
    ]);
  });

  it('leaves a paused queue, or an empty one, alone however long', async () => {
    probe.waiting = 3;
    probe.paused = true;
    clock += 3600_000;
    expect(await sut.check()).toBeNull();
    probe.paused = false;
    probe.waiting = 0;
    clock += 3600_000;
    expect(await sut.check()).toBeNull();
    expect(sut.recreations).toBe(0);
  });

  it('re-creates a worker whose connection dropped and never became ready again, only while Redis answers', async () => {
    created[0].connection.emit('close');
    clock += 30_000;
    probe.reachable = false;
    expect(await sut.check()).toBeNull();
    probe.reachable = true;
    expect(await sut.check()).toBe('its Redis connection dropped 30.0 s ago and never became ready again, though Redis answers');
    expect(sut.recreations).toBe(1);
  });

  it('forgets a drop once the connection is ready again', async () => {
    created[0].connection.emit('close');
    clock += 10_000;
    created[0].connection.emit('ready');
    clock += 3600_000;
    expect(await sut.check()).toBeNull();
  });

  it('judges nothing, and never throws, while the probe gets no answer', async () => {
    probe.fails = true;
    clock += 3600_000;
    await expect(sut.check()).resolves.toBeNull();
    expect(sut.recreations).toBe(0);
  });
});
