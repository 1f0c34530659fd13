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
