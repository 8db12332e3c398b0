import { once } from 'node:events';
import { existsSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { openDatabase } from '@tftsr/db';
import { freePort, getJson, startApp, waitFor } from '../support/app-processes';
import { makeTempDir, TEST_KEY } from '../support/temp-dir';

/**
 * The first start, as a new operator meets it: every problem they fix with a variable is one line on stderr
 * naming that variable, exit code 1, and nothing done before it (no migration, no admin key printed).
 */
describe('first start', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => (temp = makeTempDir('tftsr-first-start-')));
  afterEach(() => temp.remove());

  /** Runs the app until it exits; its whole output. */
  async function failedStart(kind: 'api' | 'worker', env: Record<string, string>): Promise<{ code: number | null; output: string }> {
    const app = startApp(kind, { TFTSR_DATA_DIR: temp.dir, TFTSR_DB_KEY: TEST_KEY, REDIS_URL: 'redis://127.0.0.1:1', ...env });
    const [code] = (await once(app.child, 'exit')) as [number | null];
    return { code, output: app.output() };
  }

  it('says in one line that the port is in use, before migrating and before printing the admin key', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const run = await failedStart('api', { PORT: String(port), HOST: '127.0.0.1', NODE_ENV: 'development' });
      expect(run).toEqual({ code: 1, output: `tftsr api: port ${port} is in use; set PORT\n` });
      expect(existsSync(join(temp.dir, 'tftsr.db'))).toBe(false);
    } finally {
      holder.close();
    }
  });

  it.each(['api', 'worker'] as const)('%s: a data directory it cannot use is one line naming TFTSR_DATA_DIR', async (kind) => {
    writeFileSync(join(temp.dir, 'a-file'), '');
    const dir = join(temp.dir, 'a-file', 'data');
    const run = await failedStart(kind, { TFTSR_DATA_DIR: dir, PORT: String(await freePort()) });
    expect(run).toEqual({
      code: 1,
      output: `tftsr ${kind}: invalid configuration: TFTSR_DATA_DIR: cannot use ${dir} as the data directory: a part of the path is a file, not a directory\n`,
    });
  });

  it('a key set for a plain database suggests tftsr db encrypt', async () => {
    openDatabase({ path: join(temp.dir, 'tftsr.db'), key: null }).close();
    const run = await failedStart('api', { PORT: String(await freePort()) });
    expect(run.code).toBe(1);
    expect(run.output.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^tftsr api: the database \S+ is not encrypted, but TFTSR_DB_KEY is set: encrypt it with `tftsr db encrypt`/),
    ]);
  });

  it('one bad value gives one message', async () => {
    const run = await failedStart('api', { PORT: 'abc' });
    expect(run).toEqual({ code: 1, output: 'tftsr api: invalid configuration: PORT: PORT must be an integer number\n' });
  });

  it('gives readiness reasons in plain words, not the Redis client’s internals', async () => {
    const redisPort = await freePort();
    const port = await freePort();
    const api = startApp('api', {
      TFTSR_DATA_DIR: temp.dir,
      TFTSR_DB_KEY: TEST_KEY,
      REDIS_URL: `redis://:secret-password@127.0.0.1:${redisPort}`,
      PORT: String(port),
      HOST: '127.0.0.1',
    });
    try {
      // Until the client has tried once, the reason is only "no connection": wait for the first refusal.
      const answer = async () => await getJson(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined);
      const ready = await waitFor(
        async () => ((await answer())?.body?.checks?.redis?.reason?.includes('refused') ? answer() : undefined),
        30_000,
        api.output,
      );
      expect(ready.status).toBe(503);
      expect(ready.body.checks.redis.reason).toBe(
        `redis is unreachable at 127.0.0.1:${redisPort}: nothing listens there (connection refused); start Redis or fix REDIS_URL`,
      );
      expect(JSON.stringify(ready.body)).not.toMatch(/Connection is closed|writeable|enableOfflineQueue|secret-password/);
    } finally {
      await api.stop('SIGKILL');
    }
  });
});
