import fc from 'fast-check';
import { enabledTypesFromStored, toStoredEnabledTypes, TYPES_OF_BARE_LISTS } from './enabled-types';
import { PII_TYPE_ORDER } from './pii-types';

describe('the stored form of pii.enabled_types', () => {
  it('gives back any enabled set it stored, in the engine’s order (property)', () => {
    fc.assert(
      fc.property(fc.subarray([...PII_TYPE_ORDER]), (enabled) => {
        expect(enabledTypesFromStored(JSON.parse(JSON.stringify(toStoredEnabledTypes(enabled))))).toEqual(
          PII_TYPE_ORDER.filter((t) => enabled.includes(t)),
        );
      }),
    );
  });

  it('reads a bare list of an older release with every type it could not name turned on', () => {
    expect(TYPES_OF_BARE_LISTS).not.toContain('DateOfBirth');
    expect(enabledTypesFromStored(['Email'])).toEqual(['DateOfBirth', 'Email', 'Custom']);
    expect(enabledTypesFromStored([])).toEqual(['DateOfBirth', 'Custom']);
  });

  it('refuses what is neither form', () => {
    for (const bad of [null, 'Email', 3, {}, { disabled: 'Email' }, { disabled: [1] }]) expect(enabledTypesFromStored(bad)).toBeUndefined();
  });
});
