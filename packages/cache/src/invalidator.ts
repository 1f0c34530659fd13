import { reportRedisOutages, type Logger } from '@shopgraph/common';
import { cacheKeys } from './keys.js';
import { createCacheConnection, ResponseStore } from './store.js';

/** What a process that changes data (a worker, a subgraph) needs of the response cache. */
export interface CacheInvalidator {
  /**
   * Purges every cached response holding one of `tags` — entity tags such as `Product:42`
   * (built with `entityTag`), or list tags such as `Query.products` — from Redis, and tells
   * every gateway to drop them from its first level. Resolves, with the number of responses
   * deleted from Redis, once they are gone: call it after the change is committed and before
   * reporting the change as done. Rejects if Redis cannot be reached within a few retries.
   */
  invalidateEntities(tags: readonly string[]): Promise<number>;
  close(): Promise<void>;
}

/**
 * A cache invalidator on its own Redis connection, which reconnects by itself after a Redis
 * restart; `logger` hears of its connection errors. `prefix` must be the gateways'
 * `CACHE_KEY_PREFIX` (by default `defaultCacheKeyPrefix(DATABASE_URL)`).
 */
export function createCacheInvalidator(redisUrl: string, prefix: string, logger?: Logger): CacheInvalidator {
  const redis = createCacheConnection(redisUrl, 'writes');
  if (logger) reportRedisOutages(redis, logger, 'response cache purges');
  const store = new ResponseStore(redis, redis, cacheKeys(prefix));
  return {
    async invalidateEntities(tags) {
      if (tags.length === 0) return 0;
      return (await store.invalidate(tags)).purged;
    },
    async close() {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
