import { describe, expect, it } from 'vitest';
import { FirstLevelCache, type FirstLevelEntry } from './first-level.js';

const entry = (tags: string[], staleUntil = Number.MAX_SAFE_INTEGER): FirstLevelEntry => ({ tags, staleUntil });

describe.each(['lru', 'lfu'] as const)('FirstLevelCache (%s)', (policy) => {
  it('drops exactly the entries holding a purged tag', () => {
    const cache = new FirstLevelCache({ policy, maxEntries: 10 });
    cache.set('one', entry(['Product:1', 'Product']));
    cache.set('list', entry(['Product:1', 'Product:2', 'Query.products']));
    cache.set('two', entry(['Product:2']));
    expect(cache.dropTags(['Product:1'])).toBe(2);
    expect(cache.get('one', 0)).toBeUndefined();
    expect(cache.get('list', 0)).toBeUndefined();
    expect(cache.get('two', 0)).toBeDefined();
    expect(cache.dropTags(['Product:1', 'nothing'])).toBe(0);
  });

  it('forgets the tags of evicted and replaced entries', () => {
    const cache = new FirstLevelCache({ policy, maxEntries: 1 });
    cache.set('a', entry(['Product:1']));
    cache.set('b', entry(['Product:2']));
    expect(cache.dropTags(['Product:1'])).toBe(0);
    cache.set('b', entry(['Product:3']));
    expect(cache.dropTags(['Product:2'])).toBe(0);
    expect(cache.dropTags(['Product:3'])).toBe(1);
    expect(cache.size).toBe(0);
  });

  it('does not serve an entry past its staleUntil, and sweeps expired ones', () => {
    const cache = new FirstLevelCache({ policy, maxEntries: 10 });
    cache.set('old', entry(['A:1'], 1000));
    cache.set('new', entry(['A:2'], 5000));
    expect(cache.get('old', 999)).toBeDefined();
    expect(cache.get('old', 1000)).toBeUndefined();
    cache.set('old', entry(['A:1'], 1000));
    cache.sweep(2000);
    expect(cache.size).toBe(1);
    expect(cache.get('new', 2000)).toBeDefined();
    expect(cache.clear()).toBe(1);
    expect(cache.dropTags(['A:2'])).toBe(0);
  });
});
