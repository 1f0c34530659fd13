/** A bounded map that evicts by its policy when full. */
export interface BoundedCache<V> {
  get(key: string): V | undefined;
  /** Reads without counting as a use. */
  peek(key: string): V | undefined;
  /** Adds or replaces; when full, first evicts one entry by the policy (reported to `onEvict`). */
  set(key: string, value: V): void;
  delete(key: string): boolean;
  clear(): void;
  keys(): IterableIterator<string>;
  readonly size: number;
}

export type EvictionPolicy = 'lru' | 'lfu';

export type OnEvict<V> = (key: string, value: V) => void;

/**
 * Least recently used. A Map iterates in insertion order, so re-inserting on every read keeps
 * the least recently used key first: O(1) per operation. A read of the key used last changes no
 * order, so it is one lookup (a hot key read again and again: the response cache's hits).
 */
export class LruCache<V> implements BoundedCache<V> {
  private readonly entries = new Map<string, V>();
  /** The key inserted last (by `set` or a read): the last in the Map's order while it is there. */
  private newest: string | undefined;

  constructor(
    private readonly maxEntries: number,
    private readonly onEvict?: OnEvict<V>,
  ) {
    if (!(maxEntries >= 1)) throw new RangeError('maxEntries must be at least 1');
  }

  get size() {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined || key === this.newest) return value;
    this.entries.delete(key);
    this.entries.set(key, value);
    this.newest = key;
    return value;
  }

  peek(key: string): V | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: V): void {
    if (this.entries.has(key)) {
      this.entries.delete(key);
    } else if (this.entries.size >= this.maxEntries) {
      const [oldestKey, oldest] = this.entries.entries().next().value as [string, V];
      this.entries.delete(oldestKey);
      this.onEvict?.(oldestKey, oldest);
    }
    this.entries.set(key, value);
    this.newest = key;
  }

  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  keys(): IterableIterator<string> {
    return this.entries.keys();
  }
}

interface Counted<V> {
  value: V;
  uses: number;
}

/**
 * Least frequently used, ties broken by least recently used: keys are kept in one bucket per
 * use count (a Set, in recency order) and the smallest count is tracked, so every operation is
 * O(1) (the O(1) LFU of Shah, Mitra and Matani). A replaced value keeps its count.
 */
export class LfuCache<V> implements BoundedCache<V> {
  private readonly entries = new Map<string, Counted<V>>();
  private readonly buckets = new Map<number, Set<string>>();
  private minUses = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly onEvict?: OnEvict<V>,
  ) {
    if (!(maxEntries >= 1)) throw new RangeError('maxEntries must be at least 1');
  }

  get size() {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.use(key, entry);
    return entry.value;
  }

  peek(key: string): V | undefined {
    return this.entries.get(key)?.value;
  }

  set(key: string, value: V): void {
    const existing = this.entries.get(key);
    if (existing) {
      existing.value = value;
      this.use(key, existing);
      return;
    }
    if (this.entries.size >= this.maxEntries) this.evict();
    this.entries.set(key, { value, uses: 1 });
    this.bucket(1).add(key);
    this.minUses = 1;
  }

  delete(key: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.entries.delete(key);
    this.leaveBucket(key, entry.uses);
    return true;
  }

  clear(): void {
    this.entries.clear();
    this.buckets.clear();
    this.minUses = 0;
  }

  keys(): IterableIterator<string> {
    return this.entries.keys();
  }

  private use(key: string, entry: Counted<V>): void {
    const emptied = this.leaveBucket(key, entry.uses);
    if (emptied && this.minUses === entry.uses) this.minUses = entry.uses + 1;
    entry.uses += 1;
    this.bucket(entry.uses).add(key);
  }

  private evict(): void {
    let bucket = this.buckets.get(this.minUses);
    if (!bucket) {
      // A delete emptied the smallest bucket; find the next one (rare, at most one per delete).
      this.minUses = Math.min(...this.buckets.keys());
      bucket = this.buckets.get(this.minUses)!;
    }
    const victim = bucket.values().next().value as string;
    const entry = this.entries.get(victim)!;
    this.entries.delete(victim);
    this.leaveBucket(victim, entry.uses);
    this.onEvict?.(victim, entry.value);
  }

  private bucket(uses: number): Set<string> {
    let bucket = this.buckets.get(uses);
    if (!bucket) {
      bucket = new Set();
      this.buckets.set(uses, bucket);
    }
    return bucket;
  }

  /** Takes `key` out of its bucket; true when that emptied the bucket. */
  private leaveBucket(key: string, uses: number): boolean {
    const bucket = this.buckets.get(uses)!;
    bucket.delete(key);
    if (bucket.size > 0) return false;
    this.buckets.delete(uses);
    return true;
  }
}

/** The cache for `policy`, holding at most `maxEntries`. */
export function createBoundedCache<V>(policy: EvictionPolicy, maxEntries: number, onEvict?: OnEvict<V>): BoundedCache<V> {
  return policy === 'lfu' ? new LfuCache(maxEntries, onEvict) : new LruCache(maxEntries, onEvict);
}
