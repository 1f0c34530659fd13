import { randomBytes } from 'node:crypto';
import { CACHE_STATUS_HEADER, createLogger } from '@shopgraph/common';
import { readCounter, removeKeysWithPrefix, testRedisUrl } from '@shopgraph/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCacheableGraph, type CacheableGraph } from '../../test/cacheable-graph.js';
import { loadConfig } from '../env.js';
import { createGatewayServer, type GatewayServer } from '../server.js';

const prefix = `sgtest:uncacheable:${randomBytes(4).toString('hex')}:`;
let graph: CacheableGraph;
let server: GatewayServer;
let url: string;
let metricsUrl: string;

beforeAll(async () => {
  graph = await startCacheableGraph();
  server = await createGatewayServer(loadConfig(graph.gatewayEnv(prefix)), createLogger('gateway-test', 'silent'));
  url = await server.listen(0, '127.0.0.1');
  metricsUrl = await server.listenMetrics(0, '127.0.0.1');
});

afterAll(async () => {
  await server?.close();
  await graph?.close();
  await removeKeysWithPrefix(testRedisUrl, prefix);
});

async function post(query: string) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
  return { cache: response.headers.get(CACHE_STATUS_HEADER), ...body };
}

const counts = async () => ({
  bypassed: await readCounter(metricsUrl, 'shopgraph_gateway_cache_bypassed_total'),
  misses: await readCounter(metricsUrl, 'shopgraph_gateway_cache_misses_total'),
});

describe('operations the cache may not keep', () => {
  it('are looked up once, then executed without a lookup in either level, while cacheable ones still hit', async () => {
    // "shop" gives no cache hint: its orders are never kept.
    const orders = 'query Orders { orders { id } }';
    expect(await post(orders)).toMatchObject({ cache: 'MISS', data: { orders: [] } });
    expect(await counts()).toEqual({ bypassed: 0, misses: 1 });
    expect(await post(orders)).toMatchObject({ cache: 'MISS', data: { orders: [] } });
    expect(await post(orders)).toMatchObject({ cache: 'MISS', data: { orders: [] } });
    expect(await counts()).toEqual({ bypassed: 2, misses: 1 });

    const product = '{ product(id: "p1") { id name } }';
    expect(await post(product)).toMatchObject({ cache: 'MISS', data: { product: { id: 'p1', name: 'Kettle' } } });
    expect(await post(product)).toMatchObject({ cache: 'HIT-L1' });
    expect(await counts()).toEqual({ bypassed: 2, misses: 2 });
  });
});
