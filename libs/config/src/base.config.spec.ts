import { writeFileSync } from 'node:fs';
import { IsOptional, IsString } from 'class-validator';
import { join } from 'node:path';
import { makeTempDir } from '@tftsr/test-support/temp-dir';
import { BaseConfig, SEED_FALLBACK_KEY } from './base.config';
import { configProblems as problems } from '@tftsr/test-support/config-problems';
import { loadConfig } from './load-config';

describe('BaseConfig', () => {
  it('has working defaults for development', () => {
    const sut = loadConfig(BaseConfig, {});
    expect(sut.databasePath).toMatch(/data\/tftsr\.db$/);
    expect(sut.databaseKey).toBeNull();
    expect(sut.TFTSR_DB_SYNCHRONOUS).toBe('FULL');
    expect(sut.REDIS_URL).toBe('redis://127.0.0.1:6379');
  });

  it('lists every bad variable at once', () => {
    const found = problems({ REDIS_URL: 'http://example', TFTSR_DB_SYNCHRONOUS: 'OFF', TFTSR_DB_BUSY_TIMEOUT_MS: '10' });
    expect(found).toEqual([
      expect.stringMatching(/^TFTSR_DB_SYNCHRONOUS/),
      expect.stringMatching(/^TFTSR_DB_BUSY_TIMEOUT_MS/),
      expect.stringMatching(/^REDIS_URL/),
    ]);
  });

  it('requires a key in production and refuses the seed’s well-known fallback', () => {
    expect(problems({ NODE_ENV: 'production' })).toEqual([expect.stringMatching(/key is required when NODE_ENV=production/)]);
    expect(problems({ NODE_ENV: 'production', TFTSR_DB_KEY: SEED_FALLBACK_KEY })).toEqual([expect.stringMatching(/refused in production/)]);
  });

  it('honours the fake-integration origins only under NODE_ENV=test, and only loopback ones', () => {
    const origins = 'http://127.0.0.1:4100,http://127.0.0.1:4101';
    expect(problems({ NODE_ENV: 'test', TFTSR_TEST_INTEGRATION_ORIGINS: origins })).toEqual([]);
    expect(loadConfig(BaseConfig, { NODE_ENV: 'test', TFTSR_TEST_INTEGRATION_ORIGINS: origins }).testIntegrationOrigins).toHaveLength(2);
    expect(problems({ NODE_ENV: 'development', TFTSR_TEST_INTEGRATION_ORIGINS: origins })).toEqual([
      expect.stringMatching(/refused unless NODE_ENV=test/),
    ]);
    expect(problems({ NODE_ENV: 'test', TFTSR_TEST_INTEGRATION_ORIGINS: 'https://intranet.example.com' })).toEqual([
      expect.stringMatching(/not a loopback origin/),
    ]);
  });

  it('reads the key from TFTSR_DB_KEY_FILE, the Docker-secrets convention, trimming the newline', () => {
    const temp = makeTempDir();
    const file = join(temp.dir, 'key');
    writeFileSync(file, 'from-a-secret-file\n');
    expect(loadConfig(BaseConfig, { TFTSR_DB_KEY_FILE: file, NODE_ENV: 'production' }).databaseKey).toBe('from-a-secret-file');
    writeFileSync(file, SEED_FALLBACK_KEY);
    expect(problems({ TFTSR_DB_KEY_FILE: file, NODE_ENV: 'production' })).toEqual([expect.stringMatching(/refused in production/)]);
    temp.remove();
  });

  it('says when the key file cannot be read, or both sources are set', () => {
    expect(problems({ TFTSR_DB_KEY_FILE: '/nonexistent/key' })).toEqual([
      expect.stringMatching(/cannot read \/nonexistent\/key \(ENOENT\)/),
    ]);
    expect(problems({ TFTSR_DB_KEY: 'abcdefgh1', TFTSR_DB_KEY_FILE: '/nonexistent/key' })[0]).toMatch(/both set/);
  });
});

describe('loadConfig messages', () => {
  it('gives one message for one bad value: its basic check, not every bound it also misses', () => {
    expect(problems({ TFTSR_DB_BUSY_TIMEOUT_MS: 'soon' })).toEqual([
      'TFTSR_DB_BUSY_TIMEOUT_MS: TFTSR_DB_BUSY_TIMEOUT_MS must be an integer number',
    ]);
    expect(problems({ TFTSR_DB_BUSY_TIMEOUT_MS: '10' })).toEqual([
      'TFTSR_DB_BUSY_TIMEOUT_MS: TFTSR_DB_BUSY_TIMEOUT_MS must not be less than 5000',
    ]);
  });
});

class WithSecrets {
  @IsOptional() @IsString() TFTSR_BOOTSTRAP_API_KEY?: string;
  @IsOptional() @IsString() TFTSR_AI_API_KEY?: string;
  @IsOptional() @IsString() REDIS_URL?: string;
}

describe('secrets from files', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => (temp = makeTempDir()));
  afterEach(() => temp.remove());

  it.each(['TFTSR_BOOTSTRAP_API_KEY', 'TFTSR_AI_API_KEY', 'REDIS_URL'])('reads %s from %s_FILE, and refuses both at once', (name) => {
    const file = join(temp.dir, 'secret');
    const value = name === 'REDIS_URL' ? 'redis://:pw@redis:6379' : 'tftsr_from-a-file-0123456789abcdefghijklmnop';
    writeFileSync(file, `${value}\n`);
    const env = { [`${name}_FILE`]: file };
    expect((loadConfig(WithSecrets, env) as unknown as Record<string, string>)[name]).toBe(value);
    expect(problems({ ...env, [name]: value })).toEqual([`${name} and ${name}_FILE are both set: choose one`]);
    expect(problems({ [`${name}_FILE`]: join(temp.dir, 'missing') })).toEqual([
      `${name}_FILE: cannot read ${join(temp.dir, 'missing')} (ENOENT)`,
    ]);
  });
});
