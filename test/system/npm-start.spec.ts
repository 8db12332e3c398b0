import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, getJson, waitFor } from '../support/app-processes';
import { makeTempDir, uniqueQueuePrefix } from '../support/temp-dir';

const LAUNCHER = join(__dirname, '..', '..', 'dist', 'scripts', 'start.js');

describe('npm start on a machine where no Redis runs but redis-server is installed', () => {
  let temp: ReturnType<typeof makeTempDir>;

  beforeAll(() => (temp = makeTempDir()));
  afterAll(() => temp.remove());

  it('starts a private Redis, reaches /health/ready = 200, and stops everything on SIGTERM', async () => {
    const port = await freePort();
    // Nothing listens on this port, so the launcher must bring its own Redis.
    const deadRedis = `redis://127.0.0.1:${await freePort()}`;
    const launcher = spawn(process.execPath, [LAUNCHER], {
      env: {
        PATH: process.env.PATH ?? '',
        REDIS_URL: deadRedis,
        TFTSR_DATA_DIR: temp.dir,
        TFTSR_QUEUE_PREFIX: uniqueQueuePrefix('start'),
        PORT: String(port),
        HOST: '127.0.0.1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    launcher.stdout.on('data', (d: Buffer) => (output += d.toString()));
    launcher.stderr.on('data', (d: Buffer) => (output += d.toString()));

    const ready = await waitFor(
      async () => {
        const { status, body } = await getJson(`http://127.0.0.1:${port}/health/ready`);
        return status === 200 ? body : undefined;
      },
      30_000,
      () => output,
    );
    expect(ready.ready).toBe(true);
    expect(output).toMatch(/DATABASE IS NOT ENCRYPTED/);
    // AOF on, in the data directory, as the issue asks of the private Redis.
    await waitFor(
      async () => existsSync(join(temp.dir, 'redis', 'appendonlydir')),
      5_000,
      () => output,
    );

    launcher.kill('SIGTERM');
    const [code] = (await once(launcher, 'exit')) as [number | null];
    expect(code).toBe(0);
    await expect(fetch(`http://127.0.0.1:${port}/health/live`)).rejects.toThrow();
  }, 90_000);
});
