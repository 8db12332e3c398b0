/** The launcher's own helpers: where its settings come from, and finding redis-server on the PATH. */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '@tftsr/config';
import type { PrivateRedis } from './private-redis';
import { appsEnv, connectRedis, DEFAULT_REDIS_URL, findOnPath, readLauncherEnv } from './start';

let tmp: string;
beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'tftsr-start-'));
});
afterEach(() => {
  rmSync(tmp, { recursive: true, force: true });
});

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

  it('reads REDIS_URL from REDIS_URL_FILE, as the apps do, and refuses both or an unreadable file', () => {
    const file = path.join(tmp, 'redis-url');
    writeFileSync(file, 'redis://:s3cret@cache:6380\n');
    expect(readLauncherEnv({ REDIS_URL_FILE: file }).redisUrl).toBe('redis://:s3cret@cache:6380');
    expect(readLauncherEnv({ REDIS_URL: '', REDIS_URL_FILE: file }).redisUrl).toBe('redis://:s3cret@cache:6380');
    expect(() => readLauncherEnv({ REDIS_URL: 'redis://cache:6380', REDIS_URL_FILE: file })).toThrow(
      new ConfigError(['REDIS_URL and REDIS_URL_FILE are both set: choose one']),
    );
    const missing = path.join(tmp, 'missing');
    expect(() => readLauncherEnv({ REDIS_URL_FILE: missing })).toThrow(
      new ConfigError([`REDIS_URL_FILE: cannot read ${missing} (ENOENT)`]),
    );
  });

  it('waits for the apps as long as compose does: their shutdown grace plus 5 s, from TFTSR_SHUTDOWN_GRACE_MS', () => {
    expect(readLauncherEnv({}).graceMs).toBe(30_000);
    expect(readLauncherEnv({ TFTSR_SHUTDOWN_GRACE_MS: '1000' }).graceMs).toBe(6_000);
    expect(() => readLauncherEnv({ TFTSR_SHUTDOWN_GRACE_MS: 'soon' })).toThrow(ConfigError);
  });
});

describe('appsEnv', () => {
  it('leaves REDIS_URL_FILE to the apps when its Redis answers, so the secret is not copied into their environment', () => {
    const env = readLauncherEnv({ REDIS_URL_FILE: writeUrlFile('redis://cache:6380'), TFTSR_DATA_DIR: '/srv' });
    expect(appsEnv(env, { url: env.redisUrl })).toEqual({ REDIS_URL_FILE: path.join(tmp, 'redis-url'), TFTSR_DATA_DIR: '/srv' });
  });

  it('gives the apps the private Redis instead, without the REDIS_URL_FILE they would refuse beside it', () => {
    const env = readLauncherEnv({ REDIS_URL_FILE: writeUrlFile('redis://cache:6380'), TFTSR_DATA_DIR: '/srv' });
    const privateRedis = {} as PrivateRedis;
    expect(appsEnv(env, { url: 'redis://127.0.0.1:40001', privateRedis })).toEqual({
      REDIS_URL: 'redis://127.0.0.1:40001',
      TFTSR_DATA_DIR: '/srv',
    });
  });

  function writeUrlFile(url: string): string {
    const file = path.join(tmp, 'redis-url');
    writeFileSync(file, `${url}\n`);
    return file;
  }
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

describe('connectRedis', () => {
  it('neither pings REDIS_URL nor starts a private Redis when Sentinel or Cluster is configured', async () => {
    for (const ha of [
      { TFTSR_REDIS_SENTINELS: '10.0.0.1:26379', TFTSR_REDIS_SENTINEL_NAME: 'p' },
      { TFTSR_REDIS_CLUSTER_NODES: '10.0.0.1:7000' },
    ]) {
      // A closed port and no redis-server on PATH: without the Sentinel/Cluster rule this would fail to connect.
      const env = readLauncherEnv({ REDIS_URL: 'redis://127.0.0.1:1', PATH: '', ...ha });
      await expect(connectRedis(env)).resolves.toEqual({ url: 'redis://127.0.0.1:1' });
    }
  });
});
