import { randomBytes } from 'node:crypto';
import { issueToken } from '@shopgraph/common';
import { readCounter, removeKeysWithPrefix, TEST_JWT_SECRET, testRedisUrl } from '@shopgraph/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ORDER_PRODUCTS, startCacheableGraph, type CacheableGraph } from '../../test/cacheable-graph.js';
import { startGateway } from '../../test/test-graph.js';

/*
 * The entity cache through real gateways over the cacheable test graph: PUBLIC products, PRIVATE
 * users whose `note` depends on the viewer, uncached orders pointing at both.
 */

const prefix = `sgtest:entity-cache:${randomBytes(4).toString('hex')}:`;
let graph: CacheableGraph;
type Gateway = Awaited<ReturnType<typeof startGateway>>;
const gateways: Gateway[] = [];

const DEEP = 'query Deep { orders { id buyer { id name note } items { quantity product { id name price stock } } } }';

beforeAll(async () => {
  graph = await startCacheableGraph();
});

afterAll(async () => {
  for (const gateway of gateways) await gateway.close();
  await graph?.close();
  await removeKeysWithPrefix(testRedisUrl, prefix);
});

async function gatewayWith(keys: string, extra: Record<string, string> = {}): Promise<Gateway> {
  const gateway = await startGateway(graph.gatewayEnv(`${prefix}${keys}:`, extra));
  gateways.push(gateway);
  return gateway;
}

interface Answer {
  data?: any;
  errors?: { message: string; extensions?: { code?: string } }[];
  extensions?: { entityCache?: { subgraph: string; requested: number; hits: { l1: number; l2: number }; fetched: number }[] };
}

async function post(url: string, query: string, token?: string, variables: Record<string, unknown> = {}): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  expect(response.status).toBe(200);
  return (await response.json()) as Answer;
}

const tokenOf = (id: string, role: 'CUSTOMER' | 'ADMIN' = 'CUSTOMER') => issueToken(TEST_JWT_SECRET, { id, role });

/** What the deep read must show `viewer`, with the catalog as it is now. */
function expectedDeep(viewer: string) {
  return {
    orders: ORDER_PRODUCTS.map((ids, n) => ({
      id: `${viewer}-o${n}`,
      buyer: { id: viewer, name: `User ${viewer}`, note: `for ${viewer}` },
      items: ids.map((id) => {
        const product = graph.products.get(id)!;
        return { quantity: 1, product: { id, name: product.name, price: product.price, stock: product.stock } };
      }),
    })),
  };
}

/** Counts what `run` made the catalog and accounts subgraphs do. */
async function calls<T>(run: () => Promise<T>) {
  const before = { catalog: { ...graph.catalog }, accounts: { ...graph.accounts } };
  const result = await run();
  return {
    result,
    catalog: { calls: graph.catalog.calls - before.catalog.calls, representations: graph.catalog.representations - before.catalog.representations },
    accounts: { calls: graph.accounts.calls - before.accounts.calls, representations: graph.accounts.representations - before.accounts.representations },
  };
}

describe('the entity cache', () => {
  it('fetches each missing entity once, then answers the entity fetches from the cache, merged in order', async () => {
    const gateway = await gatewayWith('warm', { ENTITY_CACHE_EXTENSION: 'true' });
    const token = await tokenOf('u1');
    const cold = await calls(() => post(gateway.url, DEEP, token));
    expect(cold.result.data).toEqual(expectedDeep('u1'));
    // Four items of three distinct products: one call, each product once; the buyer, twice in the plan, once.
    expect(cold.catalog).toEqual({ calls: 1, representations: 3 });
    expect(cold.accounts).toEqual({ calls: 1, representations: 1 });
    expect(cold.result.extensions?.entityCache).toEqual(
      expect.arrayContaining([
        { subgraph: 'catalog', requested: 4, hits: { l1: 0, l2: 0 }, fetched: 3 },
        { subgraph: 'accounts', requested: 2, hits: { l1: 0, l2: 0 }, fetched: 1 },
      ]),
    );

    const warm = await calls(() => post(gateway.url, DEEP, token));
    expect(warm.result.data).toEqual(expectedDeep('u1'));
    expect(warm.catalog).toEqual({ calls: 0, representations: 0 });
    expect(warm.accounts).toEqual({ calls: 0, representations: 0 });
    expect(warm.result.extensions?.entityCache).toEqual(
      expect.arrayContaining([
        { subgraph: 'catalog', requested: 4, hits: { l1: 4, l2: 0 }, fetched: 0 },
        { subgraph: 'accounts', requested: 2, hits: { l1: 2, l2: 0 }, fetched: 0 },
      ]),
    );
    const metrics = `${gateway.metricsOrigin}/metrics`;
    expect(await readCounter(metrics, 'shopgraph_gateway_entity_cache_representations_total')).toBe(4 + 2 + 3 + 1 + 4 + 2);
    expect(await readCounter(metrics, 'shopgraph_gateway_entity_cache_hits_total')).toBe(6);
    expect(await readCounter(metrics, 'shopgraph_gateway_entity_cache_misses_total')).toBe(6);
  });

  it('shares PUBLIC entities across gateways and viewers through Redis, and keeps PRIVATE ones per viewer', async () => {
    const first = await gatewayWith('shared');
    const second = await gatewayWith('shared', { ENTITY_CACHE_EXTENSION: 'true' });
    await post(first.url, DEEP, await tokenOf('u2'));
    const answer = await calls(async () => post(second.url, DEEP, await tokenOf('u3')));
    expect(answer.result.data).toEqual(expectedDeep('u3'));
    expect(answer.catalog).toEqual({ calls: 0, representations: 0 });
    // Another viewer's user is PRIVATE: fetched for this one.
    expect(answer.accounts).toEqual({ calls: 1, representations: 1 });
    expect(answer.result.extensions?.entityCache).toEqual(expect.arrayContaining([{ subgraph: 'catalog', requested: 4, hits: { l1: 0, l2: 4 }, fetched: 0 }]));
  });

  it('fetches only what a purge removed, before the mutation that changed it answers', async () => {
    const gateway = await gatewayWith('purge', { ENTITY_CACHE_EXTENSION: 'true' });
    const token = await tokenOf('u4');
    const admin = await tokenOf('admin', 'ADMIN');
    await post(gateway.url, DEEP, token);
    const price = graph.products.get('p2')!.price + 1;
    const write = await post(gateway.url, 'mutation($price: Int!) { setPrice(id: "p2", price: $price) { id price } }', admin, { price });
    expect(write.data).toEqual({ setPrice: { id: 'p2', price } });
    const read = await calls(() => post(gateway.url, DEEP, token));
    expect(read.result.data).toEqual(expectedDeep('u4'));
    expect(read.catalog).toEqual({ calls: 1, representations: 1 });
    expect(read.result.extensions?.entityCache).toEqual(expect.arrayContaining([{ subgraph: 'catalog', requested: 4, hits: { l1: 2, l2: 0 }, fetched: 1 }]));
  });

  it('never shows a stale entity after a write, nor a PRIVATE field to another user (50 cycles, two users, two gateways, one without a first level)', async () => {
    const [writer, inProcess, redisOnly] = [await gatewayWith('cycles'), await gatewayWith('cycles'), await gatewayWith('cycles', { CACHE_L1: 'off' })];
    const admin = await tokenOf('admin', 'ADMIN');
    const users = [{ id: 'u5', token: await tokenOf('u5') }, { id: 'u6', token: await tokenOf('u6') }];
    for (let cycle = 0; cycle < 50; cycle++) {
      const id = ORDER_PRODUCTS.flat()[cycle % 4]!;
      const price = 1000 + cycle;
      // Both users read (warming both gateways), the write completes, then every read must show it.
      await Promise.all(users.flatMap((user) => [post(inProcess.url, DEEP, user.token), post(redisOnly.url, DEEP, user.token)]));
      const write = await post(writer.url, 'mutation($id: ID!, $price: Int!) { setPrice(id: $id, price: $price) { id price } }', admin, { id, price });
      expect(write.data?.setPrice).toEqual({ id, price });
      // The writer's own first level and Redis were purged before it answered.
      for (const user of users) {
        for (const gateway of [writer, redisOnly]) expect((await post(gateway.url, DEEP, user.token)).data).toEqual(expectedDeep(user.id));
      }
    }
  });

  it('keeps nothing a subgraph gives no hint for, and stops looking such fetches up once it has seen one', async () => {
    const gateway = await gatewayWith('no-hint', { ENTITY_CACHE_EXTENSION: 'true' });
    const token = await tokenOf('u9');
    const shopMisses = async () => {
      const text = await (await fetch(`${gateway.metricsOrigin}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith('shopgraph_gateway_entity_cache_misses_total{') && l.includes('subgraph="shop"'));
      return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
    };
    const query = '{ me { id orderCount } }';
    for (let read = 0; read < 3; read++) {
      const answer = await post(gateway.url, query, token);
      expect(answer.data).toEqual({ me: { id: 'u9', orderCount: 2 } });
      expect(answer.extensions?.entityCache?.find((report) => report.subgraph === 'shop')).toEqual({ subgraph: 'shop', requested: 1, hits: { l1: 0, l2: 0 }, fetched: 1 });
    }
    // Looked up once (a miss), then known uncacheable: sent as the plan asked, without a lookup.
    expect(await shopMisses()).toBe(1);
  });

  it('keeps nothing of a subgraph or type whose rule is off', async () => {
    const gateway = await gatewayWith('rules', { SUBGRAPH_ENTITY_CACHE_CATALOG: 'Product=off' });
    const token = await tokenOf('u7');
    await post(gateway.url, DEEP, token);
    const again = await calls(() => post(gateway.url, DEEP, token));
    // Each distinct product once, every time.
    expect(again.catalog).toEqual({ calls: 1, representations: 3 });
    expect(again.accounts).toEqual({ calls: 0, representations: 0 });
  });

  it('purges after mutations itself when the response cache is off', async () => {
    const gateway = await gatewayWith('own-purges', { RESPONSE_CACHE: 'off' });
    const token = await tokenOf('u8');
    const admin = await tokenOf('admin', 'ADMIN');
    await post(gateway.url, DEEP, token);
    expect((await calls(() => post(gateway.url, DEEP, token))).catalog.calls).toBe(0);
    const price = graph.products.get('p3')!.price + 7;
    await post(gateway.url, 'mutation($price: Int!) { setPrice(id: "p3", price: $price) { id } }', admin, { price });
    const read = await calls(() => post(gateway.url, DEEP, token));
    expect(read.result.data).toEqual(expectedDeep('u8'));
    expect(read.catalog).toEqual({ calls: 1, representations: 1 });
  });
});
