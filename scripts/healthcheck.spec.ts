import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { findFreePort } from './private-redis';
import { healthcheck } from './healthcheck';

/** A server answering every request with `status`, on a free port. */
async function answering(status: number): Promise<{ server: Server; port: number }> {
  const server = createServer((_req, res) => res.writeHead(status).end());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

describe('the image HEALTHCHECK', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });
  const start = async (status: number) => {
    const running = await answering(status);
    servers.push(running.server);
    return String(running.port);
  };

  it('is healthy when the API is ready, and unhealthy when it answers not ready', async () => {
    expect((await healthcheck({ PORT: await start(200), TFTSR_WORKER_METRICS_PORT: String(await findFreePort()) })).healthy).toBe(true);
    const notReady = await healthcheck({ PORT: await start(503), TFTSR_WORKER_METRICS_PORT: await start(200) });
    expect(notReady).toEqual({ healthy: false, said: expect.stringMatching(/^api .*: 503$/) });
  });

  it('checks the worker on its metrics port when no API listens in the container', async () => {
    const metrics = await start(200);
    expect(await healthcheck({ PORT: String(await findFreePort()), TFTSR_WORKER_METRICS_PORT: metrics })).toEqual({
      healthy: true,
      said: `worker http://127.0.0.1:${metrics}/metrics: 200`,
    });
    expect((await healthcheck({ PORT: String(await findFreePort()), TFTSR_WORKER_METRICS_PORT: await start(500) })).healthy).toBe(false);
  });

  it('is unhealthy when nothing listens', async () => {
    const result = await healthcheck({ PORT: String(await findFreePort()), TFTSR_WORKER_METRICS_PORT: String(await findFreePort()) });
    expect(result).toEqual({ healthy: false, said: expect.stringMatching(/^nothing answers at /) });
  });
});
