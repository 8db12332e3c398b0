/**
 * Values read from the database, each kept with the database's version when it was read (databaseVersion):
 * a value is handed out again only while the version is unchanged, so it is never staler than a fresh read.
 * Bounded: the least recently used entry goes first, and a value `keeps` refuses is not kept at all.
 */
export class VersionedCache<T> {
  private readonly entries = new Map<string, { version: string; value: T }>();

  constructor(
    private readonly maxEntries: number,
    private readonly keeps: (value: T) => boolean = () => true,
  ) {}

  get(key: string, version: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (entry.version !== version) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, version: string, value: T): void {
    this.entries.delete(key);
    if (!this.keeps(value)) return;
    this.entries.set(key, { version, value });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }
}
