import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configProblems as problems } from '@tftsr/test-support/config-problems';
import { makeTempDir } from '@tftsr/test-support/temp-dir';
import { BaseConfig } from './base.config';
import { loadConfig } from './load-config';
import { describeRedisTopology, effectiveQueuePrefix, hasHashTag, parseHostPorts } from './redis-topology';

describe('Redis topology settings', () => {
  it('connects to REDIS_URL, with the prefix as given, when neither Sentinel nor Cluster is set', () => {
    const sut = loadConfig(BaseConfig, { REDIS_URL: 'redis://cache:6380', TFTSR_QUEUE_PREFIX: 'prod' });
    expect(sut.redis).toEqual({ kind: 'standalone', url: 'redis://cache:6380' });
    expect(sut.queuePrefix).toBe('prod');
  });

  it('reads the sentinels, the master name and both passwords', () => {
    const sut = loadConfig(BaseConfig, {
      TFTSR_REDIS_SENTINELS: 'sentinel-1:26379, sentinel-2,[fd00::3]:26380',
      TFTSR_REDIS_SENTINEL_NAME: 'mymaster',
      TFTSR_REDIS_PASSWORD: 'data-secret',
      TFTSR_REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
    });
    expect(sut.redis).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 'sentinel-1', port: 26379 },
        { host: 'sentinel-2', port: 26379 },
        { host: 'fd00::3', port: 26380 },
      ],
      name: 'mymaster',
      password: 'data-secret',
      sentinelPassword: 'sentinel-secret',
    });
    expect(sut.queuePrefix).toBe('tftsr');
  });

  it('reads the cluster nodes and hash-tags the prefix, so every key of a queue lands in one slot', () => {
    const env = { TFTSR_REDIS_CLUSTER_NODES: 'node-1:7000,node-2:7001', TFTSR_REDIS_USERNAME: 'tftsr', TFTSR_REDIS_PASSWORD: 'pw' };
    const sut = loadConfig(BaseConfig, env);
    const nodes = [
      { host: 'node-1', port: 7000 },
      { host: 'node-2', port: 7001 },
    ];
    expect(sut.redis).toEqual({ kind: 'cluster', nodes, username: 'tftsr', password: 'pw' });
    expect(sut.queuePrefix).toBe('{tftsr}');
    const tagged = loadConfig(BaseConfig, { TFTSR_REDIS_CLUSTER_NODES: 'node-1:7000', TFTSR_QUEUE_PREFIX: 'eu-{tftsr}' });
    expect(tagged.queuePrefix).toBe('eu-{tftsr}');
  });

  it('lists every contradiction and gap at once, naming the variable', () => {
    expect(problems({ TFTSR_REDIS_SENTINELS: 's1:26379', TFTSR_REDIS_CLUSTER_NODES: 'n1:7000' })).toEqual([
      expect.stringMatching(/^TFTSR_REDIS_SENTINELS and TFTSR_REDIS_CLUSTER_NODES are both set/),
      expect.stringMatching(/^TFTSR_REDIS_SENTINEL_NAME: required with TFTSR_REDIS_SENTINELS/),
    ]);
    expect(problems({ TFTSR_REDIS_SENTINELS: 's1:99999,:1', TFTSR_REDIS_SENTINEL_NAME: 'm' })).toEqual([
      "TFTSR_REDIS_SENTINELS: 's1:99999' is not host:port (expected e.g. redis-1:26379,redis-2:26379)",
      "TFTSR_REDIS_SENTINELS: ':1' is not host:port (expected e.g. redis-1:26379,redis-2:26379)",
    ]);
    expect(problems({ TFTSR_REDIS_SENTINEL_NAME: 'mymaster' })).toEqual([
      expect.stringMatching(/^TFTSR_REDIS_SENTINEL_NAME: only used with TFTSR_REDIS_SENTINELS/),
    ]);
    expect(problems({ TFTSR_REDIS_PASSWORD: 'pw' })).toEqual([
      expect.stringMatching(/^TFTSR_REDIS_PASSWORD: only used with .*put it in REDIS_URL$/),
    ]);
  });

  it('never puts a password in a problem or in the description of where Redis is', () => {
    const env = {
      TFTSR_REDIS_SENTINELS: 'bad host',
      TFTSR_REDIS_PASSWORD: 'hunter2-data',
      TFTSR_REDIS_SENTINEL_PASSWORD: 'hunter2-sentinel',
    };
    expect(problems(env).join('\n')).not.toMatch(/hunter2/);
    const sentinel = loadConfig(BaseConfig, { ...env, TFTSR_REDIS_SENTINELS: 's1:1', TFTSR_REDIS_SENTINEL_NAME: 'm' });
    expect(describeRedisTopology(sentinel.redis)).toEqual({
      where: "the primary 'm' of sentinels s1:1",
      variable: 'TFTSR_REDIS_SENTINELS',
    });
    expect(describeRedisTopology({ kind: 'standalone', url: 'redis://:hunter2@cache:6380' }).where).toBe('cache:6380');
  });

  it('reads the passwords from files, the Docker-secrets convention', () => {
    const temp = makeTempDir();
    writeFileSync(join(temp.dir, 'pw'), 'from-a-file\n');
    const sut = loadConfig(BaseConfig, { TFTSR_REDIS_CLUSTER_NODES: 'n1:7000', TFTSR_REDIS_PASSWORD_FILE: join(temp.dir, 'pw') });
    expect(sut.redis).toMatchObject({ kind: 'cluster', password: 'from-a-file' });
    temp.remove();
  });
});

describe('hash tags', () => {
  it.each([
    ['tftsr', false],
    ['{tftsr}', true],
    ['a-{b}-c', true],
    ['{}tftsr', false],
    ['tf{sr', false],
  ])('%s has a hash tag: %s', (prefix, tagged) => {
    expect(hasHashTag(prefix)).toBe(tagged);
    const wrapped = effectiveQueuePrefix(prefix, { kind: 'cluster', nodes: [] });
    expect(hasHashTag(wrapped)).toBe(true);
    expect(wrapped).toBe(tagged ? prefix : `{${prefix}}`);
  });

  it('parses host:port lists with the default port where none is given', () => {
    expect(parseHostPorts('a,b:1', 'X', 7000)).toEqual({
      nodes: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 1 },
      ],
      problems: [],
    });
  });
});
