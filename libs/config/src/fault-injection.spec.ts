import { BaseConfig } from './base.config';
import { armedFaultPoint, warnIfFaultArmed } from './fault-injection';
import { configProblems as problems } from '@tftsr/test-support/config-problems';
import { loadConfig } from './load-config';

describe('the fault-injection hook (TFTSR_FAULT_INJECT)', () => {
  it('is armed only under NODE_ENV=test, with the test-only token', () => {
    const sut = loadConfig(BaseConfig, { NODE_ENV: 'test', TFTSR_FAULT_INJECT: 'test-only:exit-after-commit' });
    expect(armedFaultPoint(sut)).toBe('exit-after-commit');
    expect(armedFaultPoint(loadConfig(BaseConfig, { NODE_ENV: 'test' }))).toBeNull();
  });

  it('refuses to load in production or development, so no deployment can start with it', () => {
    for (const NODE_ENV of ['production', 'development']) {
      expect(problems({ NODE_ENV, TFTSR_DB_KEY: 'a real production key', TFTSR_FAULT_INJECT: 'test-only:exit-after-commit' })).toEqual([
        'TFTSR_FAULT_INJECT: a test-only crash hook; refused unless NODE_ENV=test',
      ]);
    }
  });

  it('refuses a value without the test-only token, or an unknown point', () => {
    expect(problems({ NODE_ENV: 'test', TFTSR_FAULT_INJECT: 'exit-after-commit' })).toEqual([
      expect.stringMatching(/^TFTSR_FAULT_INJECT: .*test-only:exit-after-commit/),
    ]);
    expect(problems({ NODE_ENV: 'test', TFTSR_FAULT_INJECT: 'test-only:exit-anywhere' })).toHaveLength(1);
  });

  it('is never armed when validation is bypassed outside tests', () => {
    expect(armedFaultPoint({ NODE_ENV: 'production', TFTSR_FAULT_INJECT: 'test-only:exit-after-commit' })).toBeNull();
  });

  it('says so loudly at start-up when armed, and says nothing otherwise', () => {
    const lines: string[] = [];
    const logger = { warn: (m: string) => lines.push(m) };
    warnIfFaultArmed({ NODE_ENV: 'test' }, logger);
    warnIfFaultArmed({ NODE_ENV: 'test', TFTSR_FAULT_INJECT: 'test-only:exit-after-enqueue' }, logger);
    expect(lines).toEqual([expect.stringMatching(/^FAULT INJECTION ARMED: .*exit-after-enqueue/)]);
  });
});
