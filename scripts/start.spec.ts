/** The launcher's own helpers: where its settings come from, and finding redis-server on the PATH. */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '@tftsr/config';
import { DEFAULT_REDIS_URL, findOnPath, readLauncherEnv, connectRedis } from './start';

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

  it('waits for the apps as long as compose does: their shutdown grace plus 5 s, from TFTSR_SHUTDOWN_GRACE_MS', () => {
    expect(readLauncherEnv({}).graceMs).toBe(30_000);
    expect(readLauncherEnv({ TFTSR_SHUTDOWN_GRACE_MS: '1000' }).graceMs).toBe(6_000);
    expect(() => readLauncherEnv({ TFTSR_SHUTDOWN_GRACE_MS: 'soon' })).toThrow(ConfigError);
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
