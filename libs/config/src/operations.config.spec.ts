import { BaseConfig } from './base.config';
import { configProblems as problems } from '@tftsr/test-support/config-problems';
import { loadConfig } from './load-config';

describe('OperationsConfig', () => {
  it('has the documented defaults', () => {
    const sut = loadConfig(BaseConfig, {});
    expect([
      sut.TFTSR_JOB_KEEP_COMPLETED_SECONDS,
      sut.TFTSR_JOB_KEEP_COMPLETED_COUNT,
      sut.TFTSR_JOB_KEEP_FAILED_SECONDS,
      sut.TFTSR_JOB_KEEP_FAILED_COUNT,
    ]).toEqual([86400, 10000, 604800, 10000]);
    expect(sut.TFTSR_WAL_CHECKPOINT_BYTES).toBe(64 * 1024 * 1024);
    expect(sut.TFTSR_WATCHDOG_INTERVAL_MS).toBe(5000);
    expect(sut.TFTSR_TEST_DISK_QUOTA_BYTES).toBeUndefined();
  });

  it('reads numbers from the environment and lists every bad one', () => {
    expect(loadConfig(BaseConfig, { TFTSR_JOB_KEEP_FAILED_COUNT: '50' }).TFTSR_JOB_KEEP_FAILED_COUNT).toBe(50);
    const found = problems({ TFTSR_JOB_KEEP_COMPLETED_SECONDS: '5', TFTSR_WAL_CHECKPOINT_BYTES: 'lots' });
    expect(new Set(found.map((p) => p.split(':')[0]))).toEqual(new Set(['TFTSR_JOB_KEEP_COMPLETED_SECONDS', 'TFTSR_WAL_CHECKPOINT_BYTES']));
  });

  it('honours the disk-quota fault hook only under NODE_ENV=test', () => {
    expect(loadConfig(BaseConfig, { NODE_ENV: 'test', TFTSR_TEST_DISK_QUOTA_BYTES: '1000' }).TFTSR_TEST_DISK_QUOTA_BYTES).toBe(1000);
    expect(problems({ NODE_ENV: 'production', TFTSR_DB_KEY: 'a-real-key-123', TFTSR_TEST_DISK_QUOTA_BYTES: '1000' })).toEqual([
      'TFTSR_TEST_DISK_QUOTA_BYTES: TFTSR_TEST_DISK_QUOTA_BYTES is a test-only setting; refused unless NODE_ENV=test',
    ]);
  });
});
