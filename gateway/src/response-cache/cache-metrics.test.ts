import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createCacheMetrics } from './cache-metrics.js';

/** The hit counter's value per level, as `/metrics` reads it. */
async function hits(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric('shopgraph_gateway_cache_hits_total')!.get();
  return Object.fromEntries(metric.values.map(({ labels, value }) => [String(labels.level), value]));
}

describe('createCacheMetrics', () => {
  it('counts every hit by level, each read adding what came since the last', async () => {
    const registry = new Registry();
    const metrics = createCacheMetrics(registry);
    expect(await hits(registry)).toEqual({});
    for (let i = 0; i < 3; i++) metrics.l1Hits.inc();
    metrics.l2Hits.inc();
    expect(await hits(registry)).toEqual({ l1: 3, l2: 1 });
    expect(await hits(registry)).toEqual({ l1: 3, l2: 1 });
    metrics.l1Hits.inc();
    metrics.l1Hits.inc();
    expect(await hits(registry)).toEqual({ l1: 5, l2: 1 });
    expect(await registry.metrics()).toContain('shopgraph_gateway_cache_hits_total{level="l1"} 5');
  });
});
