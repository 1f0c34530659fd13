import { createLogger } from '@shopgraph/common';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, subgraphEnvName, subgraphUrlFor } from '../env.js';
import { eventually } from '../../test/test-replicas.js';
import { Upstreams } from './upstreams.js';

let upstreams: Upstreams | undefined;

afterEach(() => {
  upstreams?.close();
});

function upstreamsFor(env: Record<string, string>) {
  const config = loadConfig({ SUBGRAPH_HEALTH_CHECK_INTERVAL_MS: '0', ...env });
  upstreams = new Upstreams({
    config: config.upstream,
    envNameOf: subgraphEnvName,
    urlOf: (subgraph) => subgraphUrlFor(config, subgraph),
    registry: new Registry(),
    logger: createLogger('test', 'silent'),
    probe: async () => true,
  });
  return upstreams;
}

describe('Upstreams', () => {
  it('serves a subgraph from its replica list, or from its one URL without one', () => {
    const all = upstreamsFor({ SUBGRAPH_REPLICAS_PRODUCTS: 'http://p1/graphql|2,http://p2/graphql', USERS_URL: 'http://users/graphql' });
    expect(all.replicasOf({ name: 'products', url: 'http://from-supergraph/graphql' })).toEqual([
      { url: 'http://p1/graphql', weight: 2 },
      { url: 'http://p2/graphql', weight: 1 },
    ]);
    expect(all.replicasOf({ name: 'users', url: 'http://from-supergraph/graphql' })).toEqual([{ url: 'http://users/graphql', weight: 1 }]);
    expect(all.replicasOf({ name: 'orders', url: 'http://orders/graphql' })).toEqual([{ url: 'http://orders/graphql', weight: 1 }]);
  });

  it('keeps one upstream per subgraph across supergraph reloads, and a new one when its replicas change', () => {
    const all = upstreamsFor({});
    const first = all.for({ name: 'orders', url: 'http://orders-1/graphql' });
    expect(all.for({ name: 'orders', url: 'http://orders-1/graphql' })).toBe(first);
    const moved = all.for({ name: 'orders', url: 'http://orders-2/graphql' });
    expect(moved).not.toBe(first);
    expect(moved.replicas.map((replica) => replica.url)).toEqual(['http://orders-2/graphql']);
  });

  it('takes the replicas of a subgraph with SUBGRAPH_DNS_<NAME> from its host, serving its other replicas until the answer', async () => {
    const all = upstreamsFor({ SUBGRAPH_DNS_ORDERS: 'http://localhost:4003/graphql', SUBGRAPH_REPLICAS_ORDERS: 'http://orders-1/graphql' });
    const orders = all.for({ name: 'orders', url: 'http://orders/graphql' });
    expect(orders.replicas.map((replica) => replica.url)).toEqual(['http://orders-1/graphql']);
    // The real resolver: localhost is in no DNS zone, so this is the lookup fallback (/etc/hosts).
    await eventually(() => orders.replicas[0]?.url === 'http://127.0.0.1:4003/graphql');
    expect(orders.replicas).toHaveLength(1);
  });

  it('drops the upstreams of subgraphs a new supergraph no longer names', () => {
    const all = upstreamsFor({});
    const orders = all.for({ name: 'orders', url: 'http://orders/graphql' });
    const users = all.for({ name: 'users', url: 'http://users/graphql' });
    all.retain(['users']);
    expect(all.for({ name: 'users', url: 'http://users/graphql' })).toBe(users);
    expect(all.for({ name: 'orders', url: 'http://orders/graphql' })).not.toBe(orders);
  });
});
