import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { RunningStack } from '../support/app-processes';
import { appEnv, freePort, getJson, startApp, startStack } from '../support/app-processes';
import { uniqueQueuePrefix } from '../support/temp-dir';

/**
 * Open log chunks' append files take one writer: a second API process on the same data directory (say `docker
 * compose up --scale api=2` on one volume) refuses to start, and the first serves on. Once the first is gone, SIGKILL
 * included, an API starts there again: the kernel drops the lock with its holder.
 */
describe('one API process per data directory', () => {
  let stack: RunningStack;
  const adminKey = `tftsr_${randomBytes(24).toString('hex')}`;

  beforeAll(async () => {
    stack = await startStack('one-api', adminKey);
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  const secondApi = async () => {
    const port = await freePort();
    const api = startApp('api', appEnv({ dataDir: stack.dataDir, queuePrefix: uniqueQueuePrefix('one-api-2'), port }));
    return { api, base: `http://127.0.0.1:${port}` };
  };

  it('refuses a second API on the same data directory, and the first serves on', async () => {
    const { api } = await secondApi();
    const [code] = (await once(api.child, 'exit')) as [number | null];
    expect(code).not.toBe(0);
    expect(api.output()).toContain('another API process already serves this data directory');
    expect((await getJson(`${stack.base}/health/ready`)).status).toBe(200);
  });

  it('starts one there again once the first is SIGKILLed', async () => {
    await stack.api.stop('SIGKILL');
    const { api, base } = await secondApi();
    try {
      for (let i = 0; i < 300 && (await getJson(`${base}/health/ready`).catch(() => ({ status: 0 }))).status !== 200; i += 1) {
        if (api.child.exitCode !== null) throw new Error(`the API exited: ${api.output().slice(-2000)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect((await getJson(`${base}/health/ready`)).status).toBe(200);
    } finally {
      await api.stop();
    }
  }, 60_000);
});
