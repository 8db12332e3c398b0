/**
 * The launcher's helpers. Real: redis-server (started and stopped by startPrivateRedis), TCP
 * sockets and child processes. Fake: the apps (tiny Node scripts) and, for supervision, Redis.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import type {
  ExitStatus} from './start';
import {
  DEFAULT_REDIS_URL,
  findFreePort,
  findOnPath,
  parseRedisUrl,
  pingRedis,
  readLauncherEnv,
  startPrivateRedis,
  superviseApps,
} from './start';

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'tftsr-start-'));
});
afterEach(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** A TCP server that answers every chunk it receives with `reply(chunk)`, or stays silent. */
async function fakeServer(reply?: (received: string) => string): Promise<{ port: number; received: string[]; close(): Promise<void> }> {
  const received: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (chunk) => {
      received.push(chunk.toString());
      if (reply) socket.write(reply(chunk.toString()));
    });
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  return {
    port: address.port,
    received,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('readLauncherEnv', () => {
  it('falls back to the local Redis and ./data when the variables are unset or empty', () => {
    const sut = readLauncherEnv({ REDIS_URL: '' });
    expect(sut.redisUrl).toBe(DEFAULT_REDIS_URL);
    expect(sut.dataDir).toBe('./data');
  });

  it('uses REDIS_URL and TFTSR_DATA_DIR when they are set', () => {
    const sut = readLauncherEnv({ REDIS_URL: 'redis://cache:6380', TFTSR_DATA_DIR: '/srv/tftsr' });
    expect(sut).toMatchObject({ redisUrl: 'redis://cache:6380', dataDir: '/srv/tftsr' });
  });
});

describe('parseRedisUrl', () => {
  it('defaults the port to 6379', () => {
    expect(parseRedisUrl('redis://cache')).toEqual({ host: 'cache', port: 6379, tls: false, username: undefined, password: undefined });
  });

  it('reads an IPv6 host, a port, TLS and decoded credentials', () => {
    expect(parseRedisUrl('rediss://app:p%40ss@[::1]:6380/2')).toEqual({
      host: '::1',
      port: 6380,
      tls: true,
      username: 'app',
      password: 'p@ss',
    });
  });

  it('reads a password without a user name', () => {
    expect(parseRedisUrl('redis://:secret@127.0.0.1:6379')).toMatchObject({ username: undefined, password: 'secret' });
  });

  it('rejects other schemes', () => {
    expect(() => parseRedisUrl('http://127.0.0.1:6379')).toThrow('must start with redis:// or rediss://');
  });

  it('does not echo an unparsable URL, which may hold a password', () => {
    expect(() => parseRedisUrl('redis://:hunter2@bad host')).toThrow(/^(?!.*hunter2)/);
  });
});

describe('findOnPath', () => {
  it('finds an executable file and skips directories without one', () => {
    const empty = path.join(tmp, 'empty');
    const bin = path.join(tmp, 'bin');
    mkdirSync(empty);
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'tool'), '#!/bin/sh\n');
    chmodSync(path.join(bin, 'tool'), 0o755);
    expect(findOnPath('tool', [empty, '', bin].join(path.delimiter))).toBe(path.join(bin, 'tool'));
  });

  it('ignores a file that is not executable, and an unset PATH', () => {
    writeFileSync(path.join(tmp, 'tool'), '');
    chmodSync(path.join(tmp, 'tool'), 0o644);
    expect(findOnPath('tool', tmp)).toBeUndefined();
    expect(findOnPath('tool', undefined)).toBeUndefined();
  });
});

describe('findFreePort', () => {
  it('returns a port that can be listened on', async () => {
    const port = await findFreePort();
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
    expect(port).toBeGreaterThan(0);
  });
});

describe('pingRedis', () => {
  it('reports a closed port as unreachable, not as answered', async () => {
    const port = await findFreePort();
    const result = await pingRedis({ host: '127.0.0.1', port, tls: false });
    expect(result).toMatchObject({ ok: false, answered: false });
  });

  it('reports a server that answers PING with an error as answered', async () => {
    const server = await fakeServer(() => '-NOAUTH Authentication required.\r\n');
    try {
      const result = await pingRedis({ host: '127.0.0.1', port: server.port, tls: false });
      expect(result).toEqual({ ok: false, answered: true, reason: 'NOAUTH Authentication required.' });
    } finally {
      await server.close();
    }
  });

  it('sends AUTH with the URL credentials before PING', async () => {
    const server = await fakeServer(() => '+OK\r\n+PONG\r\n');
    try {
      const result = await pingRedis(parseRedisUrl(`redis://app:s3cret@127.0.0.1:${server.port}`));
      expect(result).toEqual({ ok: true });
      expect(server.received.join('')).toBe('*3\r\n$4\r\nAUTH\r\n$3\r\napp\r\n$6\r\ns3cret\r\n*1\r\n$4\r\nPING\r\n');
    } finally {
      await server.close();
    }
  });

  it('gives up on a server that never answers', async () => {
    const server = await fakeServer();
    try {
      const result = await pingRedis({ host: '127.0.0.1', port: server.port, tls: false }, 200);
      expect(result).toEqual({ ok: false, answered: false, reason: 'no answer within 200 ms' });
    } finally {
      await server.close();
    }
  });
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
    const taken = await fakeServer();
    try {
      await expect(
        startPrivateRedis({ dataDir: tmp, redisServer: '/usr/bin/redis-server', port: taken.port, readyTimeoutMs: 3_000 }),
      ).rejects.toThrow(path.join(tmp, 'redis', 'redis.log'));
    } finally {
      await taken.close();
    }
  });
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
      events.push(`redis stopped; apps stopped: ${['api', 'worker'].filter((name) => existsSync(path.join(tmp, `${name}.stopped`))).join(',')}`);
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
