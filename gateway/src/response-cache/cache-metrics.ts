import { Counter, type Registry } from 'prom-client';

/** The response cache's counters on the gateway's `/metrics`, label values bound once. */
export interface CacheMetrics {
  l1Hits: Counter.Internal;
  l2Hits: Counter.Internal;
  stale: Counter;
  misses: Counter;
  invalidations: Counter<'origin'>;
  purged: Counter<'level'>;
  errors: Counter<'operation'>;
}

export function createCacheMetrics(registry: Registry): CacheMetrics {
  const hits = new Counter({
    name: 'shopgraph_gateway_cache_hits_total',
    help: 'Responses answered fresh from the response cache, by level (l1 in process, l2 Redis).',
    labelNames: ['level'] as const,
    registers: [registry],
  });
  return {
    // Bound here: a hit increments its counter without looking its labels up.
    l1Hits: hits.labels({ level: 'l1' }),
    l2Hits: hits.labels({ level: 'l2' }),
    stale: new Counter({
      name: 'shopgraph_gateway_cache_stale_total',
      help: 'Responses answered stale from the response cache while being revalidated.',
      registers: [registry],
    }),
    misses: new Counter({
      name: 'shopgraph_gateway_cache_misses_total',
      help: 'Cacheable-looking requests the response cache could not answer (executed, or joined an identical one in flight).',
      registers: [registry],
    }),
    invalidations: new Counter({
      name: 'shopgraph_gateway_cache_invalidations_total',
      help: 'Purges by origin: mutation (made by this gateway) or pubsub (received, from any process).',
      labelNames: ['origin'] as const,
      registers: [registry],
    }),
    purged: new Counter({
      name: 'shopgraph_gateway_cache_purged_entries_total',
      help: 'Cached responses purged, by level: l2 by this gateway\'s mutations, l1 by any purge.',
      labelNames: ['level'] as const,
      registers: [registry],
    }),
    errors: new Counter({
      name: 'shopgraph_gateway_cache_errors_total',
      help: 'Redis operations of the response cache that failed, by operation; the request went on without the cache.',
      labelNames: ['operation'] as const,
      registers: [registry],
    }),
  };
}
