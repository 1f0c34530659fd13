import type { Logger } from '@shopgraph/common';
import { cacheKeys, type CacheKeys } from './keys.js';
import { InvalidationListener } from './listener.js';
import { createCacheConnection, ResponseStore } from './store.js';

export interface CacheConnectionsOptions {
  redisUrl: string;
  keyPrefix: string;
  /** What the log lines call this cache ("response cache", "entity cache"). */
  name: string;
  logger: Logger;
  /** Every purge, wherever it was made: drop these tags from the first level. */
  onInvalidate(tags: string[]): void;
  /** Purges may have been missed: empty the first level. */
  onReset(): void;
}

/** A cache's way to Redis: its keys, the store over a reads and a writes connection, and the listener that hears every purge. */
export interface CacheConnections {
  keys: CacheKeys;
  store: ResponseStore;
  listener: InvalidationListener;
  /** Stops listening and drops the connections at once: a Redis that is away must not hold a shutdown. */
  close(): Promise<void>;
}

/** Opens what a two-level cache needs in Redis (see `CacheConnections`). */
export function openCacheConnections({ redisUrl, keyPrefix, name, logger, onInvalidate, onReset }: CacheConnectionsOptions): CacheConnections {
  const keys = cacheKeys(keyPrefix);
  const reads = createCacheConnection(redisUrl, 'reads');
  const writes = createCacheConnection(redisUrl, 'writes');
  for (const connection of [reads, writes]) {
    connection.on('error', (error: Error) => logger.debug({ err: error }, `${name}: Redis connection error`));
  }
  const store = new ResponseStore(reads, writes, keys);
  const listener = new InvalidationListener({ subscriber: createCacheConnection(redisUrl, 'subscriber'), store, logger, onInvalidate, onReset });
  return {
    keys,
    store,
    listener,
    async close() {
      await listener.close();
      reads.disconnect();
      writes.disconnect();
    },
  };
}
