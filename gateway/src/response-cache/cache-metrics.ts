import { Counter, type Registry } from 'prom-client';

/** A count kept in a plain number on the hit path and added to its counter when the metrics are read. */
export class PendingCount {
  private count = 0;

  inc(): void {
    this.count += 1;
  }

  /** What was counted since the last call. */
  take(): number {
    const count = this.count;
    this.count = 0;
    return count;
  }
}

/** The response cache's counters on the gateway's `/metrics`. */
export interface CacheMetrics {
  l1Hits: PendingCount;
  l2Hits: PendingCount;
  stale: Counter;
  misses: Counter;
  bypassed: Counter;
  invalidations: Counter<'origin'>;
  purged: Counter<'level'>;
  errors: Counter<'operation'>;
}

export function createCacheMetrics(registry: Registry): CacheMetrics {
  // A hit adds one to a number: prom-client's inc hashes and checks its labels on every call,
  // a cost the hit path would pay per request; the counter takes the sums whenever it is read.
  const l1Hits = new PendingCount();
  const l2Hits = new PendingCount();
  const addHits = (counter: Counter<'level'>, level: 'l1' | 'l2', pending: PendingCount) => {
    const count = pending.take();
    if (count > 0) counter.inc({ level }, count);
  };
  new Counter({
    name: 'shopgraph_gateway_cache_hits_total',
    help: 'Responses answered fresh from the response cache, by level (l1 in process, l2 Redis).',
    labelNames: ['level'] as const,
    registers: [registry],
    collect() {
      addHits(this, 'l1', l1Hits);
      addHits(this, 'l2', l2Hits);
    },
  });
  return {
    l1Hits,
    l2Hits,
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
    bypassed: new Counter({
      name: 'shopgraph_gateway_cache_bypassed_total',
      help: 'Reads of operations known to be uncacheable (an order read by id: a status poll), executed without a lookup in either level.',
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
