import { VersionedCache } from './versioned-cache';

describe('VersionedCache', () => {
  it('hands a value out only at the version it was read at', () => {
    const cache = new VersionedCache<string>(4);
    cache.set('a', 'v1', 'one');
    expect(cache.get('a', 'v1')).toBe('one');
    expect(cache.get('a', 'v2')).toBeUndefined();
    // A value seen at another version is gone, even at its own version.
    expect(cache.get('a', 'v1')).toBeUndefined();
    expect(cache.get('b', 'v1')).toBeUndefined();
  });

  it('drops the least recently used entry past its size, and never keeps what `keeps` refuses', () => {
    const cache = new VersionedCache<number>(2, (n) => n < 100);
    cache.set('a', 'v', 1);
    cache.set('b', 'v', 2);
    expect(cache.get('a', 'v')).toBe(1);
    cache.set('c', 'v', 3);
    expect([cache.get('a', 'v'), cache.get('b', 'v'), cache.get('c', 'v')]).toEqual([1, undefined, 3]);
    cache.set('a', 'v2', 500);
    expect(cache.get('a', 'v2')).toBeUndefined();
  });
});
