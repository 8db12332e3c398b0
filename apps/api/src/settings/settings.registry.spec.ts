import fc from 'fast-check';
import { InvalidSettingValue, SETTING_KEYS, SETTINGS } from './settings.registry';

describe('the settings registry', () => {
  it.each(SETTING_KEYS)('accepts its own default for %s', (key) => {
    expect(SETTINGS[key].parse(SETTINGS[key].default)).toEqual(SETTINGS[key].default);
  });

  it('keeps the enabled PII types in the engine’s order, once each', () => {
    expect(SETTINGS['pii.enabled_types'].parse(['IPv4', 'Email', 'IPv4'])).toEqual(['Email', 'IPv4']);
  });

  it('either accepts a value, idempotently, or refuses it with InvalidSettingValue (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SETTING_KEYS), fc.jsonValue(), (key, value) => {
        let parsed: unknown;
        try {
          parsed = SETTINGS[key].parse(value);
        } catch (err) {
          expect(err).toBeInstanceOf(InvalidSettingValue);
          return;
        }
        expect((SETTINGS[key].parse as (v: unknown) => unknown)(parsed)).toEqual(parsed);
      }),
      { numRuns: 1000 },
    );
  });
});
