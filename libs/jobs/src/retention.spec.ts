import { BaseConfig, loadConfig } from '@tftsr/config';
import { DEFAULT_JOB_RETENTION, JOB_POLICY, jobOptions } from './contracts';

describe('job retention', () => {
  it('defaults to what JOB_POLICY and the configuration say', () => {
    expect(loadConfig(BaseConfig, {}).jobRetention).toEqual(DEFAULT_JOB_RETENTION);
    expect(jobOptions('hash')).toEqual(JOB_POLICY.hash);
    expect(jobOptions('ping')).toEqual(JOB_POLICY.ping);
  });

  it('applies the configured age and count to outbox jobs, and caps the short-lived ping by them', () => {
    const retention = loadConfig(BaseConfig, {
      TFTSR_JOB_KEEP_COMPLETED_SECONDS: '600',
      TFTSR_JOB_KEEP_COMPLETED_COUNT: '50',
      TFTSR_JOB_KEEP_FAILED_SECONDS: '86400',
      TFTSR_JOB_KEEP_FAILED_COUNT: '20',
    }).jobRetention;
    expect(jobOptions('detect_pii', retention)).toMatchObject({
      attempts: 5,
      removeOnComplete: { age: 600, count: 50 },
      removeOnFail: { age: 86400, count: 20 },
    });
    expect(jobOptions('ping', retention)).toMatchObject({
      removeOnComplete: { age: 600, count: 50 },
      removeOnFail: { age: 86400, count: 20 },
    });
  });
});
