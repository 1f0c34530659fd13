import { randomUUID } from 'node:crypto';
import { createLogger } from '@shopgraph/common';
import { freePort, testRedisUrl } from '@shopgraph/testing';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisKeyValueCache } from './redis-key-value-cache.js';

const redis = new Redis(testRedisUrl);
const prefix = `test:kv:${randomUUID()}:`;
const logger = createLogger('test', 'silent');

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe('RedisKeyValueCache', () => {
  it('stores, reads and deletes under its prefix, with a TTL when given one', async () => {
    const cache = new RedisKeyValueCache(redis, prefix, logger);
    await cache.set('apq:abc', '{ a }', { ttl: 30 });
    expect(await cache.get('apq:abc')).toBe('{ a }');
    expect(await redis.ttl(`${prefix}apq:abc`)).toBeGreaterThan(0);
    await cache.set('forever', 'x');
    expect(await redis.ttl(`${prefix}forever`)).toBe(-1);
    expect(await cache.delete('apq:abc')).toBe(true);
    expect(await cache.get('apq:abc')).toBeUndefined();
  });

  it('answers a miss, and fails nothing, while Redis is unreachable', async () => {
    const down = new Redis(`redis://127.0.0.1:${await freePort()}`, { lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    down.on('error', () => undefined);
    const cache = new RedisKeyValueCache(down, prefix, logger);
    try {
      await expect(cache.set('k', 'v')).resolves.toBeUndefined();
      expect(await cache.get('k')).toBeUndefined();
      expect(await cache.delete('k')).toBe(false);
    } finally {
      down.disconnect();
    }
  });
});
