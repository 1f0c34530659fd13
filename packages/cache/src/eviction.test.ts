import { describe, expect, it } from 'vitest';
import { createBoundedCache, LfuCache, LruCache } from './eviction.js';

const filled = <C extends LruCache<number> | LfuCache<number>>(cache: C, keys: string[]) => {
  keys.forEach((key, index) => cache.set(key, index));
  return cache;
};

describe('LruCache', () => {
  it('evicts the least recently used key, reads counting as use', () => {
    const evicted: string[] = [];
    const cache = filled(new LruCache<number>(3, (key) => evicted.push(key)), ['a', 'b', 'c']);
    expect(cache.get('a')).toBe(0);
    cache.set('d', 3);
    expect(evicted).toEqual(['b']);
    cache.set('e', 4);
    expect(evicted).toEqual(['b', 'c']);
    expect([...cache.keys()]).toEqual(['a', 'd', 'e']);
  });

  it('replaces a value in place without evicting, and makes it the most recent', () => {
    const evicted: string[] = [];
    const cache = filled(new LruCache<number>(2, (key) => evicted.push(key)), ['a', 'b']);
    cache.set('a', 10);
    expect(cache.size).toBe(2);
    cache.set('c', 2);
    expect(evicted).toEqual(['b']);
    expect(cache.get('a')).toBe(10);
  });

  it('peeks without changing the order, and deletes', () => {
    const cache = filled(new LruCache<number>(2), ['a', 'b']);
    expect(cache.peek('a')).toBe(0);
    cache.set('c', 2);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.delete('b')).toBe(true);
    expect(cache.delete('b')).toBe(false);
    expect(cache.size).toBe(1);
  });

  it('refuses a size below one', () => {
    expect(() => new LruCache(0)).toThrow(RangeError);
  });

  it('keeps the order and evicts as a list in use order would, the key used last read again and again', () => {
    // A list of keys, least recent first: what the cache must match after every operation.
    let order: string[] = [];
    const values = new Map<string, number>();
    const evicted: string[] = [];
    const expectedEvicted: string[] = [];
    const cache = new LruCache<number>(3, (key) => evicted.push(key));
    const use = (key: string) => (order = [...order.filter((k) => k !== key), key]);
    const keys = ['a', 'b', 'c', 'd'];
    // A fixed pseudo-random walk (Park–Miller, not Math.random: every run the same), with runs of repeated reads.
    let seed = 7;
    const next = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
    for (let step = 0; step < 2000; step++) {
      const key = keys[next(keys.length)]!;
      const operation = next(10);
      if (operation < 5) {
        const times = 1 + next(3);
        for (let i = 0; i < times; i++) expect(cache.get(key)).toBe(values.get(key));
        if (values.has(key)) use(key);
      } else if (operation < 8) {
        if (!values.has(key) && order.length === 3) {
          const oldest = order.shift()!;
          expectedEvicted.push(oldest);
          values.delete(oldest);
        }
        cache.set(key, step);
        values.set(key, step);
        use(key);
      } else if (operation < 9) {
        expect(cache.delete(key)).toBe(values.delete(key));
        order = order.filter((k) => k !== key);
      } else if (next(20) === 0) {
        cache.clear();
        values.clear();
        order = [];
      }
      expect([...cache.keys()]).toEqual(order);
    }
    expect(evicted).toEqual(expectedEvicted);
  });
});

describe('LfuCache', () => {
  it('evicts the least frequently used key', () => {
    const evicted: string[] = [];
    const cache = filled(new LfuCache<number>(3, (key) => evicted.push(key)), ['a', 'b', 'c']);
    cache.get('a');
    cache.get('a');
    cache.get('c');
    cache.set('d', 3);
    expect(evicted).toEqual(['b']);
    // d is used once, c twice, a three times.
    cache.set('e', 4);
    expect(evicted).toEqual(['b', 'd']);
    expect(new Set(cache.keys())).toEqual(new Set(['a', 'c', 'e']));
  });

  it('breaks ties by recency: the least recently used of the least used goes first', () => {
    const evicted: string[] = [];
    const cache = filled(new LfuCache<number>(3, (key) => evicted.push(key)), ['a', 'b', 'c']);
    cache.get('b');
    cache.get('a');
    cache.get('c');
    cache.set('d', 3);
    expect(evicted).toEqual(['b']);
  });

  it('keeps a frequent key through a stream of one-off keys (where LRU would not)', () => {
    const lfu = new LfuCache<number>(3);
    const lru = new LruCache<number>(3);
    for (const cache of [lfu, lru]) {
      cache.set('hot', 0);
      for (let i = 0; i < 5; i++) cache.get('hot');
      for (let i = 0; i < 10; i++) cache.set(`once-${i}`, i);
    }
    expect(lfu.get('hot')).toBe(0);
    expect(lru.get('hot')).toBeUndefined();
  });

  it('counts a replacement as a use and keeps the count', () => {
    const evicted: string[] = [];
    const cache = filled(new LfuCache<number>(2, (key) => evicted.push(key)), ['a', 'b']);
    cache.set('a', 10);
    cache.set('c', 2);
    expect(evicted).toEqual(['b']);
    expect(cache.peek('a')).toBe(10);
  });

  it('still finds the least used key after deletes emptied the smallest count', () => {
    const evicted: string[] = [];
    const cache = filled(new LfuCache<number>(3, (key) => evicted.push(key)), ['a', 'b', 'c']);
    cache.get('b');
    cache.get('c');
    cache.get('c');
    cache.delete('a');
    cache.set('d', 3);
    cache.delete('d');
    cache.set('e', 4);
    cache.set('f', 5);
    // Left before f: b (2 uses), c (3 uses), e (1 use): e goes.
    expect(evicted).toEqual(['e']);
    expect(new Set(cache.keys())).toEqual(new Set(['b', 'c', 'f']));
    cache.clear();
    expect(cache.size).toBe(0);
    cache.set('g', 6);
    expect(cache.get('g')).toBe(6);
  });
});

describe('createBoundedCache', () => {
  it('builds the policy asked for', () => {
    expect(createBoundedCache('lru', 1)).toBeInstanceOf(LruCache);
    expect(createBoundedCache('lfu', 1)).toBeInstanceOf(LfuCache);
  });
});
