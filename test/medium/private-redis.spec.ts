/**
 * The launcher's private Redis. Real: redis-server, started and stopped by startPrivateRedis, and a TCP
 * server holding the port it is told to use.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import type { ExitStatus } from '../../scripts/processes';
import { fakeTcpServer } from '../support/fake-tcp-server';
import { findFreePort, parseRedisUrl, pingRedis, startPrivateRedis } from '../../scripts/private-redis';

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'tftsr-start-'));
});
afterEach(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('startPrivateRedis (real redis-server)', () => {
  it('starts Redis on a free port with AOF and noeviction, and stops it with SIGTERM', async () => {
    const port = await findFreePort();
    const sut = await startPrivateRedis({ dataDir: tmp, redisServer: '/usr/bin/redis-server', port });
    let stopped: ExitStatus | undefined;
    try {
      expect(sut.url).toBe(`redis://127.0.0.1:${port}`);
      expect(await pingRedis(parseRedisUrl(sut.url))).toEqual({ ok: true });

      const client = new Redis(sut.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
      try {
        await client.connect();
        expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
        expect(await client.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
        expect(await client.config('GET', 'bind')).toEqual(['bind', '127.0.0.1']);
        await client.set('tftsr:start-spec', 'kept');
      } finally {
        client.disconnect();
      }
    } finally {
      stopped = await sut.stop();
    }

    expect(stopped).toEqual({ code: 0, signal: null });
    expect((await pingRedis(parseRedisUrl(sut.url))).ok).toBe(false);
    expect(existsSync(path.join(tmp, 'redis', 'appendonlydir'))).toBe(true);
    expect(readFileSync(path.join(tmp, 'redis', 'redis.log'), 'utf8')).toMatch(/ready to accept connections/i);
  });

  it('fails with the log file named when the port is taken', async () => {
    const taken = await fakeTcpServer();
    try {
      await expect(
        startPrivateRedis({ dataDir: tmp, redisServer: '/usr/bin/redis-server', port: taken.port, readyTimeoutMs: 3_000 }),
      ).rejects.toThrow(path.join(tmp, 'redis', 'redis.log'));
    } finally {
      await taken.close();
    }
  });
});
