import { Counter, type Registry } from 'prom-client';

/** The entity cache's counters on the gateway's `/metrics`, by subgraph. */
export interface EntityCacheMetrics {
  /** Representations answered from the cache, by level (l1 in process, l2 Redis). */
  hits: Counter<'subgraph' | 'level'>;
  /** Representations the cache could have answered (their type is cached) but did not hold. */
  misses: Counter<'subgraph'>;
  /** Representations the query plan asked for (`requested`) and those sent to the subgraph (`fetched`). */
  representations: Counter<'subgraph' | 'kind'>;
  /** Root-field fetches by what they found: `l1`, `l2` (answered from there), `miss` (fetched), `uncacheable` (no hint, or PRIVATE for no viewer: fetched without a lookup). */
  rootFetches: Counter<'subgraph' | 'found'>;
  /** Purges made by this gateway's mutations while the response cache is off (it purges for both otherwise). */
  invalidations: Counter<'origin'>;
  purged: Counter<'level'>;
  /** The first level emptied because purges may have been missed. */
  resets: Counter;
  errors: Counter<'operation'>;
}

export function createEntityCacheMetrics(registry: Registry): EntityCacheMetrics {
  const registers = [registry];
  return {
    hits: new Counter({
      name: 'shopgraph_gateway_entity_cache_hits_total',
      help: 'Entity representations answered from the entity cache, by subgraph and level (l1 in process, l2 Redis).',
      labelNames: ['subgraph', 'level'] as const,
      registers,
    }),
    misses: new Counter({
      name: 'shopgraph_gateway_entity_cache_misses_total',
      help: 'Entity representations of cached types the entity cache did not hold, by subgraph.',
      labelNames: ['subgraph'] as const,
      registers,
    }),
    representations: new Counter({
      name: 'shopgraph_gateway_entity_cache_representations_total',
      help: 'Entity representations the query plans asked for (kind="requested") and those sent to the subgraph (kind="fetched").',
      labelNames: ['subgraph', 'kind'] as const,
      registers,
    }),
    rootFetches: new Counter({
      name: 'shopgraph_gateway_entity_cache_root_fetches_total',
      help: 'Root-field fetches of queries, by subgraph and what they found: l1, l2 (answered from the cache), miss (fetched), uncacheable (no hint, or PRIVATE for no viewer: fetched without a lookup).',
      labelNames: ['subgraph', 'found'] as const,
      registers,
    }),
    invalidations: new Counter({
      name: 'shopgraph_gateway_entity_cache_invalidations_total',
      help: 'Purges the entity cache made itself (mutations through this gateway while the response cache is off).',
      labelNames: ['origin'] as const,
      registers,
    }),
    purged: new Counter({
      name: 'shopgraph_gateway_entity_cache_purged_total',
      help: 'Entries deleted from Redis by the purges the entity cache made itself.',
      labelNames: ['level'] as const,
      registers,
    }),
    resets: new Counter({
      name: 'shopgraph_gateway_entity_cache_resets_total',
      help: 'Times the in-process entity cache was emptied because purges may have been missed (subscription lost, gap).',
      registers,
    }),
    errors: new Counter({
      name: 'shopgraph_gateway_entity_cache_errors_total',
      help: 'Entity cache operations that failed (Redis unreachable …), by operation.',
      labelNames: ['operation'] as const,
      registers,
    }),
  };
}
