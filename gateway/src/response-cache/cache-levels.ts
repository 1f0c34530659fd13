import {
  FirstLevelCache,
  openCacheConnections,
  type CacheConnections,
  type CacheKeys,
  type InvalidationListener,
  type ResponseStore,
  type CachedResponse,
  type EvictionPolicy,
  type MissStart,
} from '@shopgraph/cache';
import type { Logger } from '@shopgraph/common';
import type { CacheMetrics } from './cache-metrics.js';
import type { CacheRequest } from './cache-request.js';

export interface CacheLevelsOptions {
  redisUrl: string;
  keyPrefix: string;
  l1Policy: EvictionPolicy;
  l1MaxEntries: number;
  /** false: nothing is kept in process, so every hit is read from Redis. */
  l1Enabled: boolean;
  metrics: CacheMetrics;
  logger: Logger;
}

/** An entry found for a request, with the key it was found under. */
export interface FoundEntry {
  key: string;
  entry: CachedResponse;
}

/**
 * The two levels: the first in this process (LRU or LFU), the second in Redis, and the
 * invalidation listener that keeps the first in step with every purge. Looks entries up and
 * stores them; what to store is the decision's (`cache-decision.ts`).
 */
export class CacheLevels {
  readonly keys: CacheKeys;
  readonly store: ResponseStore;
  readonly listener: InvalidationListener;
  private readonly l1: FirstLevelCache<CachedResponse>;
  private readonly connections: CacheConnections;

  constructor(private readonly options: CacheLevelsOptions) {
    const { metrics } = options;
    this.l1 = new FirstLevelCache<CachedResponse>({ policy: options.l1Policy, maxEntries: options.l1MaxEntries });
    this.connections = openCacheConnections({
      redisUrl: options.redisUrl,
      keyPrefix: options.keyPrefix,
      name: 'response cache',
      logger: options.logger,
      onInvalidate: (tags) => {
        metrics.invalidations.inc({ origin: 'pubsub' });
        this.dropFromFirstLevel(tags);
      },
      onReset: () => this.l1.clear(),
    });
    this.keys = this.connections.keys;
    this.store = this.connections.store;
    this.listener = this.connections.listener;
  }

  /** The fresh entry for `found` in the first level, with its key. */
  firstLevel(found: CacheRequest, now: number): FoundEntry | undefined {
    const entry = this.l1.get(found.publicKey, now);
    if (entry) return { key: found.publicKey, entry };
    const own = found.privateKey === undefined ? undefined : this.l1.get(found.privateKey, now);
    return own && found.privateKey ? { key: found.privateKey, entry: own } : undefined;
  }

  /** One round trip: the entry (if any, and not expired) for `found` in Redis; sets `found.since`. */
  async secondLevel(found: CacheRequest): Promise<FoundEntry | undefined> {
    const entryKeys = found.privateKey ? [found.publicKey, found.privateKey] : [found.publicKey];
    try {
      const { entries, epoch } = await this.store.lookup(entryKeys);
      found.since = { epoch, at: Date.now() };
      const now = Date.now();
      const index = entries.findIndex((entry) => entry !== null && entry.staleUntil > now);
      if (index < 0) return undefined;
      const key = entryKeys[index]!;
      const entry = entries[index]!;
      if (this.options.l1Enabled && this.listener.admits(epoch)) this.l1.set(key, entry);
      return { key, entry };
    } catch (error) {
      this.options.metrics.errors.inc({ operation: 'lookup' });
      this.options.logger.debug({ err: error }, 'response cache: lookup failed; executing');
      return undefined;
    }
  }

  /** Stores `entry` in Redis unless a purge came after `since`, then in process if still admitted. */
  async keep(entryKey: string, entry: CachedResponse, since: MissStart): Promise<void> {
    try {
      const epoch = await this.store.store(entryKey, entry, since);
      if (this.options.l1Enabled && epoch !== null && this.listener.admits(epoch)) this.l1.set(entryKey, entry);
    } catch (error) {
      this.options.metrics.errors.inc({ operation: 'store' });
      this.options.logger.warn({ err: error }, 'response cache: could not store a response');
    }
  }

  dropFromFirstLevel(tags: Iterable<string>): void {
    const dropped = this.l1.dropTags(tags);
    if (dropped > 0) this.options.metrics.purged.inc({ level: 'l1' }, dropped);
  }

  /** Forgets everything held in process (a purge that may not have reached Redis). */
  clearFirstLevel(): void {
    this.l1.clear();
  }

  sweep(now: number): void {
    this.l1.sweep(now);
  }

  async close(): Promise<void> {
    // Called once requests have drained: nothing is left to wait for.
    await this.connections.close();
  }

}
