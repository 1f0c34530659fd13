import {
  FirstLevelCache,
  openCacheConnections,
  type CacheConnections,
  type CacheKeys,
  type InvalidationListener,
  type ResponseStore,
  type EvictionPolicy,
  type FirstLevelEntry,
  type MissStart,
} from '@shopgraph/cache';
import type { Logger } from '@shopgraph/common';
import type { EntityCacheMetrics } from './entity-metrics.js';

/** A cached entity: its value as the subgraph gave it (JSON text: parsed afresh for every use, never shared), and what it may be used for. */
export interface EntityEntry extends FirstLevelEntry {
  json: string;
  /** PUBLIC entries answer everybody; PRIVATE ones are under their viewer's key only. */
  scope: 'PUBLIC' | 'PRIVATE';
  freshUntil: number;
  staleUntil: number;
  tags: readonly string[];
}

export interface EntityLevelsOptions {
  redisUrl: string;
  /** The response cache's prefix: entity entries are indexed under the same tags, so one purge clears both. */
  keyPrefix: string;
  l1Enabled: boolean;
  l1Policy: EvictionPolicy;
  l1MaxEntries: number;
  metrics: EntityCacheMetrics;
  logger: Logger;
}

/** What a second-level lookup found: the entries by key, and the invalidation epoch it saw (null when Redis did not answer). */
export interface SecondLevelLookup {
  found: Map<string, EntityEntry>;
  since: MissStart | null;
}

const SCOPE_HEADER = 'x-entity-scope';

/**
 * The entity cache's two levels, made of the response cache's parts (`@shopgraph/cache`): a first
 * level in process, a second in Redis whose entries are indexed by entity tag beside the cached
 * responses, so that a purge of `Product:42` — by a mutation through any gateway, or a worker —
 * deletes both, and the invalidation listener drops this process's copies when the purge's
 * message arrives (a purge made here is applied at once: `appliedLocally`).
 */
export class EntityLevels {
  readonly keys: CacheKeys;
  readonly store: ResponseStore;
  readonly listener: InvalidationListener;
  private readonly l1: FirstLevelCache<EntityEntry>;
  private readonly connections: CacheConnections;

  constructor(private readonly options: EntityLevelsOptions) {
    const { metrics } = options;
    this.l1 = new FirstLevelCache<EntityEntry>({ policy: options.l1Policy, maxEntries: options.l1MaxEntries });
    this.connections = openCacheConnections({
      redisUrl: options.redisUrl,
      keyPrefix: options.keyPrefix,
      name: 'entity cache',
      logger: options.logger,
      onInvalidate: (tags) => this.dropFromFirstLevel(tags),
      onReset: () => {
        metrics.resets.inc();
        this.l1.clear();
      },
    });
    this.keys = this.connections.keys;
    this.store = this.connections.store;
    this.listener = this.connections.listener;
  }

  get firstLevelEnabled(): boolean {
    return this.options.l1Enabled;
  }

  /** The fresh entry under `key` in process. */
  firstLevel(key: string, now: number): EntityEntry | undefined {
    if (!this.options.l1Enabled) return undefined;
    const entry = this.l1.get(key, now);
    return entry && entry.freshUntil > now ? entry : undefined;
  }

  /**
   * Keeps in process an entry made of first-level entries just read (a whole fetch answered from
   * them, in the same tick: no purge can have come between): it carries their tags, so a purge of
   * any of them drops it too.
   */
  keepInFirstLevel(key: string, entry: EntityEntry): void {
    if (this.options.l1Enabled) this.l1.set(key, entry);
  }

  /** One round trip: the fresh entries under `keys` in Redis (kept in process when admitted), and the epoch a store must be checked against. */
  async secondLevel(keys: readonly string[]): Promise<SecondLevelLookup> {
    const found = new Map<string, EntityEntry>();
    try {
      const { entries, epoch } = await this.store.lookup(keys);
      const now = Date.now();
      const admitted = this.options.l1Enabled && this.listener.admits(epoch);
      entries.forEach((stored, index) => {
        if (!stored || stored.freshUntil <= now) return;
        const entry: EntityEntry = {
          json: stored.body.toString(),
          scope: stored.headers.some(([name, value]) => name === SCOPE_HEADER && value === 'PRIVATE') ? 'PRIVATE' : 'PUBLIC',
          freshUntil: stored.freshUntil,
          staleUntil: stored.staleUntil,
          tags: stored.tags,
        };
        found.set(keys[index]!, entry);
        if (admitted) this.l1.set(keys[index]!, entry);
      });
      return { found, since: { epoch, at: now } };
    } catch (error) {
      this.options.metrics.errors.inc({ operation: 'lookup' });
      this.options.logger.debug({ err: error }, 'entity cache: lookup failed; fetching');
      return { found, since: null };
    }
  }

  /** Stores entries in Redis unless a purge of one of their tags came after `since`; each admitted one in process too. */
  async keep(entries: readonly { key: string; entry: EntityEntry }[], since: MissStart): Promise<void> {
    let failure: unknown;
    await Promise.all(
      entries.map(async ({ key, entry }) => {
        try {
          const stored = {
            body: Buffer.from(entry.json),
            headers: [[SCOPE_HEADER, entry.scope]] as const,
            storedAt: Date.now(),
            freshUntil: entry.freshUntil,
            staleUntil: entry.staleUntil,
            tags: entry.tags,
          };
          const epoch = await this.store.store(key, stored, since);
          if (this.options.l1Enabled && epoch !== null && this.listener.admits(epoch)) this.l1.set(key, entry);
        } catch (error) {
          this.options.metrics.errors.inc({ operation: 'store' });
          failure = error;
        }
      }),
    );
    // One line per fetch, not per entity: a Redis outage fails them all.
    if (failure) this.options.logger.warn({ err: failure, entities: entries.length }, 'entity cache: could not store the entities of a fetch');
  }

  dropFromFirstLevel(tags: Iterable<string>): void {
    this.l1.dropTags(tags);
  }

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
