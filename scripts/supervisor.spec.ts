/** The launcher's supervisor. Real: child processes. Fake: the apps (tiny Node scripts) and Redis. */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExitStatus } from './processes';
import { superviseApps } from './supervisor';

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'tftsr-start-'));
});
afterEach(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('superviseApps', () => {
  /**
   * A fake app: writes `<name>.ready`, and on SIGTERM/SIGINT `<name>.stopped` after a short drain.
   * A 'crash' app exits with code 3 once the test writes `<name>.crash`.
   */
  function app(name: string, behaviour: 'graceful' | 'crash' | 'stubborn' = 'graceful'): { name: string; entry: string } {
    const entry = path.join(tmp, `${name}.js`);
    const file = (suffix: string): string => JSON.stringify(path.join(tmp, `${name}.${suffix}`));
    const onSignal =
      behaviour === 'stubborn'
        ? '() => {}'
        : `(signal) => setTimeout(() => { fs.writeFileSync(${file('stopped')}, String(Date.now())); process.exit(0); }, 200)`;
    writeFileSync(
      entry,
      [
        "const fs = require('fs');",
        `process.on('SIGTERM', ${onSignal});`,
        `process.on('SIGINT', ${onSignal});`,
        `fs.writeFileSync(${file('ready')}, '');`,
        `setInterval(() => { if (${behaviour === 'crash'} && fs.existsSync(${file('crash')})) process.exit(3); }, 20);`,
      ].join('\n'),
    );
    return { name, entry };
  }

  async function waitForFiles(...names: string[]): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!names.every((name) => existsSync(path.join(tmp, name)))) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${names.join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  function fakeRedis() {
    let resolveExited: (status: ExitStatus) => void = () => undefined;
    const exited = new Promise<ExitStatus>((resolve) => (resolveExited = resolve));
    const events: string[] = [];
    const stop = jest.fn(async () => {
      events.push(
        `redis stopped; apps stopped: ${['api', 'worker'].filter((name) => existsSync(path.join(tmp, `${name}.stopped`))).join(',')}`,
      );
      const status = { code: 0, signal: null };
      resolveExited(status);
      return status;
    });
    return { exited, stop, kill: jest.fn(), events, die: () => resolveExited({ code: null, signal: 'SIGKILL' }) };
  }

  it('forwards the signal to every app, waits for them, then stops Redis', async () => {
    const redis = fakeRedis();
    const sut = superviseApps([app('api'), app('worker')], { env: {}, redis });
    await waitForFiles('api.ready', 'worker.ready');

    sut.shutdown('SIGTERM');

    expect(await sut.done).toBe(0);
    expect(redis.stop).toHaveBeenCalledTimes(1);
    expect(redis.events).toEqual(['redis stopped; apps stopped: api,worker']);
  });

  it('stops the other app and Redis, and fails, when one app exits on its own', async () => {
    const redis = fakeRedis();
    const sut = superviseApps([app('api', 'crash'), app('worker')], { env: {}, redis });
    await waitForFiles('api.ready', 'worker.ready');

    writeFileSync(path.join(tmp, 'api.crash'), '');

    expect(await sut.done).toBe(1);
    expect(existsSync(path.join(tmp, 'worker.stopped'))).toBe(true);
    expect(redis.stop).toHaveBeenCalledTimes(1);
  });

  it('stops the apps, and fails, when the private Redis dies', async () => {
    const redis = fakeRedis();
    const sut = superviseApps([app('api'), app('worker')], { env: {}, redis });
    await waitForFiles('api.ready', 'worker.ready');

    redis.die();

    expect(await sut.done).toBe(1);
    expect(existsSync(path.join(tmp, 'api.stopped'))).toBe(true);
    expect(existsSync(path.join(tmp, 'worker.stopped'))).toBe(true);
  });

  it('kills an app that outlives the grace period, and fails', async () => {
    const sut = superviseApps([app('api'), app('worker', 'stubborn')], { env: {}, graceMs: 500 });
    await waitForFiles('api.ready', 'worker.ready');
    const started = Date.now();

    sut.shutdown('SIGINT');

    expect(await sut.done).toBe(1);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(existsSync(path.join(tmp, 'api.stopped'))).toBe(true);
  });

  it('kills everything on a second signal', async () => {
    const sut = superviseApps([app('api', 'stubborn'), app('worker', 'stubborn')], { env: {} });
    await waitForFiles('api.ready', 'worker.ready');

    sut.shutdown('SIGTERM');
    sut.shutdown('SIGTERM');

    expect(await sut.done).toBe(1);
  });
});
