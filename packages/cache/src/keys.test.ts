import { hasHashTag } from '@shopgraph/common';
import { describe, expect, it } from 'vitest';
import { cacheKeys, defaultCacheKeyPrefix, entityTag, expandTags, listTag, typeTag, unidentifiedTag } from './keys.js';

describe('tags', () => {
  it('expands an entity tag to the unidentified entities of its type, and nothing else', () => {
    expect(expandTags([entityTag('Product', '42'), listTag('products'), typeTag('User'), unidentifiedTag('Order')])).toEqual([
      'Product:42',
      'Product:?',
      'Query.products',
      'User',
      'Order:?',
    ]);
  });

  it('keeps ids that contain colons whole', () => {
    expect(expandTags(['Order:a:b'])).toEqual(['Order:a:b', 'Order:?']);
  });
});

describe('keys', () => {
  it('puts everything under the prefix', () => {
    const keys = cacheKeys('p:');
    const entry = keys.entry('pub', 'digest');
    expect([entry, keys.tag('Product:1'), keys.invalidatedAt('Product:1'), keys.revalidation(entry), keys.epoch, keys.channel]).toEqual([
      'p:e:pub:digest',
      'p:t:Product:1',
      'p:i:Product:1',
      'p:r:e:pub:digest',
      'p:epoch',
      'p:invalidations',
    ]);
  });

  it('derives the default prefix from the database, never from its password, as one hash tag', () => {
    const prefix = defaultCacheKeyPrefix('postgres://app:secret@db:5432/shop');
    expect(prefix).toMatch(/^\{sg:cache:[0-9a-f]{12}\}:$/);
    expect(hasHashTag(prefix)).toBe(true);
    expect(defaultCacheKeyPrefix('postgres://app:other@db:5432/shop')).toBe(prefix);
    expect(defaultCacheKeyPrefix('postgres://app:secret@db:5432/another')).not.toBe(prefix);
  });
});
