import { createBoundedCache, type BoundedCache, type EvictionPolicy } from './eviction.js';

/** What the first level needs of an entry: when it may no longer be served, and its tags. */
export interface FirstLevelEntry {
  /** Epoch milliseconds after which not even a stale answer may be given. */
  readonly staleUntil: number;
  readonly tags: readonly string[];
}

export interface FirstLevelOptions {
  policy: EvictionPolicy;
  maxEntries: number;
}

/**
 * The in-process first level: a bounded LRU or LFU map of entries with an index from tag to
 * keys, so a purge of `Product:42` finds its entries without a scan. Expired entries are dropped
 * when read and by `sweep` (an LFU would otherwise keep a once-hot, long-expired entry forever).
 */
export class FirstLevelCache<E extends FirstLevelEntry> {
  private readonly entries: BoundedCache<E>;
  private readonly byTag = new Map<string, Set<string>>();

  constructor({ policy, maxEntries }: FirstLevelOptions) {
    this.entries = createBoundedCache<E>(policy, maxEntries, (key, entry) => this.unindex(key, entry));
  }

  get size() {
    return this.entries.size;
  }

  /** The entry under `key` unless it expired by `now`. */
  get(key: string, now: number): E | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.staleUntil > now) return entry;
    this.delete(key);
    return undefined;
  }

  set(key: string, entry: E): void {
    this.delete(key);
    this.entries.set(key, entry);
    for (const tag of entry.tags) {
      let keys = this.byTag.get(tag);
      if (!keys) {
        keys = new Set();
        this.byTag.set(tag, keys);
      }
      keys.add(key);
    }
  }

  delete(key: string): boolean {
    const entry = this.entries.peek(key);
    if (entry === undefined) return false;
    this.entries.delete(key);
    this.unindex(key, entry);
    return true;
  }

  /** Drops every entry holding one of `tags`; returns how many were dropped. */
  dropTags(tags: Iterable<string>): number {
    let dropped = 0;
    for (const tag of tags) {
      const keys = this.byTag.get(tag);
      if (!keys) continue;
      for (const key of [...keys]) if (this.delete(key)) dropped += 1;
    }
    return dropped;
  }

  /** Drops everything; returns how many entries there were. */
  clear(): number {
    const size = this.entries.size;
    this.entries.clear();
    this.byTag.clear();
    return size;
  }

  /** Drops the entries expired by `now`. */
  sweep(now: number): void {
    for (const key of [...this.entries.keys()]) {
      if (this.entries.peek(key)!.staleUntil <= now) this.delete(key);
    }
  }

  private unindex(key: string, entry: E): void {
    for (const tag of entry.tags) {
      const keys = this.byTag.get(tag);
      if (!keys) continue;
      keys.delete(key);
      if (keys.size === 0) this.byTag.delete(tag);
    }
  }
}
