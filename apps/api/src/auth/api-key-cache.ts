/**
 * A short-lived, bounded cache of API-key lookups, keyed by the SHA-256 of the presented key (never the key). The
 * lookup is a query and a hash comparison on every request; several API replicas and the CLI share the database,
 * so an entry lives at most `ttlMs` (below 1 s) and a revocation, wherever it is made, is seen within that time.
 * A revocation made through this process also forgets its entry at once. Unknown keys are kept apart and in a
 * smaller bound, so that guessed keys can neither grow the cache nor push out the keys in use.
 */
export class ApiKeyCache<T> {
  private readonly found = new Map<string, { value: T; expires: number }>();
  private readonly unknown = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxFound: number,
    private readonly maxUnknown: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The cached value (null: known to be unknown), or undefined when it must be looked up. */
  get(hash: string): T | null | undefined {
    const t = this.now();
    const hit = this.found.get(hash);
    if (hit) {
      if (hit.expires > t) return hit.value;
      this.found.delete(hash);
    }
    const miss = this.unknown.get(hash);
    if (miss !== undefined) {
      if (miss > t) return null;
      this.unknown.delete(hash);
    }
    return undefined;
  }

  set(hash: string, value: T | null): void {
    const expires = this.now() + this.ttlMs;
    if (value === null) ApiKeyCache.put(this.unknown, hash, expires, this.maxUnknown);
    else ApiKeyCache.put(this.found, hash, { value, expires }, this.maxFound);
  }

  /** Forgets every entry: after a revocation in this process, so that it applies at once here. */
  clear(): void {
    this.found.clear();
    this.unknown.clear();
  }

  get size(): { found: number; unknown: number } {
    return { found: this.found.size, unknown: this.unknown.size };
  }

  /** Inserts at the end; past the bound the oldest entry (Map order is insertion order) goes. */
  private static put<V>(map: Map<string, V>, hash: string, entry: V, max: number): void {
    map.delete(hash);
    if (map.size >= max) {
      const oldest = map.keys().next();
      if (!oldest.done) map.delete(oldest.value);
    }
    map.set(hash, entry);
  }
}
