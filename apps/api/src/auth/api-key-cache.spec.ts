import { ApiKeyCache } from './api-key-cache';

describe('ApiKeyCache', () => {
  let now = 0;
  const cache = (max = 3) => new ApiKeyCache<string>(500, max, max, () => now);
  beforeEach(() => (now = 1000));

  it('answers a lookup, known or unknown, until its TTL has passed, then asks for it again', () => {
    const sut = cache();
    expect(sut.get('a')).toBeUndefined();
    sut.set('a', 'principal');
    sut.set('b', null);
    now += 499;
    expect([sut.get('a'), sut.get('b')]).toEqual(['principal', null]);
    now += 1;
    expect([sut.get('a'), sut.get('b')]).toEqual([undefined, undefined]);
    expect(sut.size).toEqual({ found: 0, unknown: 0 });
  });

  it('keeps unknown keys to their bound, apart from the known ones, which guessed keys cannot push out', () => {
    const sut = cache(3);
    sut.set('known', 'principal');
    for (let n = 0; n < 10_000; n += 1) sut.set(`guess-${n}`, null);
    expect(sut.size).toEqual({ found: 1, unknown: 3 });
    expect(sut.get('known')).toBe('principal');
    expect(sut.get('guess-9999')).toBeNull();
    expect(sut.get('guess-0')).toBeUndefined();
  });

  it('forgets everything on clear', () => {
    const sut = cache();
    sut.set('a', 'principal');
    sut.clear();
    expect(sut.get('a')).toBeUndefined();
  });
});
