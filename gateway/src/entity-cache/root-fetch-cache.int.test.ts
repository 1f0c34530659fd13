import { randomBytes } from 'node:crypto';
import { issueToken } from '@shopgraph/common';
import { removeKeysWithPrefix, TEST_JWT_SECRET, testRedisUrl } from '@shopgraph/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCacheableGraph, type CacheableGraph } from '../../test/cacheable-graph.js';
import { startGateway } from '../../test/test-graph.js';

/*
 * Root fields marked cacheable, through real gateways over the cacheable test graph: catalog's
 * `product(id:)` is PUBLIC (its type's hint), accounts' `me` PRIVATE with a `note` that depends
 * on the viewer (kept per viewer), shop's `orders` has no hint. Each query below also reads `orders`, so the
 * response cache keeps none of its responses: every read goes through the query plan, and what a
 * read is spared, the root-field cache spared.
 */

const prefix = `sgtest:root-fetch:${randomBytes(4).toString('hex')}:`;
let graph: CacheableGraph;
type Gateway = Awaited<ReturnType<typeof startGateway>>;
const gateways: Gateway[] = [];

/** With the product's id (its tag from the answer) and without (its tag from the lookup's argument). */
const WITH_ID = 'query WithId($id: ID!) { me { id note } orders { id } product(id: $id) { id name price stock } }';
const WITHOUT_ID = 'query WithoutId($id: ID!) { me { id note } orders { id } product(id: $id) { price stock } }';
const ordersOf = (viewer: string) => [{ id: `${viewer}-o0` }, { id: `${viewer}-o1` }];

beforeAll(async () => {
  graph = await startCacheableGraph();
});

afterAll(async () => {
  for (const gateway of gateways) await gateway.close();
  await graph?.close();
  await removeKeysWithPrefix(testRedisUrl, prefix);
});

async function gatewayWith(keys: string, extra: Record<string, string> = {}): Promise<Gateway> {
  const gateway = await startGateway(graph.gatewayEnv(`${prefix}${keys}:`, { ENTITY_CACHE_EXTENSION: 'true', ...extra }));
  gateways.push(gateway);
  return gateway;
}

interface Report {
  subgraph: string;
  root?: string[];
  found?: string;
}

interface Answer {
  data?: any;
  errors?: unknown[];
  extensions?: { entityCache?: Report[] };
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

/** Calls the gateway made to `subgraph`, by its `/metrics`. */
async function callsTo(gateway: Gateway, subgraph: string): Promise<number> {
  const text = await (await fetch(`${gateway.metricsOrigin}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('shopgraph_gateway_subgraph_requests_total{') && line.includes(`subgraph="${subgraph}"`))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** The report of the root fetch to `subgraph`. */
const rootReport = (answer: Answer, subgraph: string) => answer.extensions?.entityCache?.find((report) => report.subgraph === subgraph && report.root);

const productNow = (id: string) => graph.products.get(id)!;

describe('root fields marked cacheable', () => {
  it('keeps a PUBLIC root fetch once and answers every viewer from it, in process and through Redis', async () => {
    const [first, second] = [await gatewayWith('shared'), await gatewayWith('shared')];
    const { name, price, stock } = productNow('p1');
    const expected = (viewer: string) => ({ me: { id: viewer, note: `for ${viewer}` }, orders: ordersOf(viewer), product: { id: 'p1', name, price, stock } });

    const cold = await post(first.url, WITH_ID, await tokenOf('r1'), { id: 'p1' });
    expect(cold.data).toEqual(expected('r1'));
    expect(rootReport(cold, 'catalog')).toEqual({ subgraph: 'catalog', root: ['product'], found: 'miss' });
    expect(await callsTo(first, 'catalog')).toBe(1);

    const otherViewer = await post(first.url, WITH_ID, await tokenOf('r2'), { id: 'p1' });
    expect(otherViewer.data).toEqual(expected('r2'));
    expect(rootReport(otherViewer, 'catalog')).toEqual({ subgraph: 'catalog', root: ['product'], found: 'l1' });
    expect(await callsTo(first, 'catalog')).toBe(1);

    const otherGateway = await post(second.url, WITH_ID, await tokenOf('r3'), { id: 'p1' });
    expect(otherGateway.data).toEqual(expected('r3'));
    expect(rootReport(otherGateway, 'catalog')).toEqual({ subgraph: 'catalog', root: ['product'], found: 'l2' });
    expect(await callsTo(second, 'catalog')).toBe(0);

    // Other variables are another entry.
    const p2 = await post(first.url, WITH_ID, await tokenOf('r2'), { id: 'p2' });
    expect(p2.data.product).toEqual({ id: 'p2', ...productNow('p2') });
    expect(rootReport(p2, 'catalog')?.found).toBe('miss');
  });

  it('keeps a PRIVATE root field for its viewer only, and never one without a hint', async () => {
    const gateway = await gatewayWith('private');
    const viewers = ['r4', 'r5'];
    for (let read = 0; read < 6; read++) {
      const viewer = viewers[read % 2]!;
      const answer = await post(gateway.url, '{ me { id name note } orders { id } }', await tokenOf(viewer));
      // `note` names the viewer: an answer kept for one and given to the other would show it.
      expect(answer.data).toEqual({ me: { id: viewer, name: `User ${viewer}`, note: `for ${viewer}` }, orders: ordersOf(viewer) });
      // Each viewer's first read fetches and keeps `me`; their later reads find their own.
      expect(rootReport(answer, 'accounts')?.found).toBe(read < 2 ? 'miss' : 'l1');
      // Fetched and seen uncacheable once, then sent without a lookup.
      expect(rootReport(answer, 'shop')?.found).toBe(read === 0 ? 'miss' : 'uncacheable');
    }
    expect(await callsTo(gateway, 'accounts')).toBe(2);
    expect(await callsTo(gateway, 'shop')).toBe(6);
    // No viewer, no PRIVATE entry: an anonymous read is never answered from a viewer's.
    const anonymous = await post(gateway.url, '{ me { id note } }');
    expect(anonymous.data).toEqual({ me: null });
    expect(await callsTo(gateway, 'accounts')).toBe(3);
  });

  it('never reads a product stale through a root field after a write (30 cycles, two viewers, two gateways, one without a first level)', async () => {
    const [writer, inProcess, redisOnly] = [await gatewayWith('cycles'), await gatewayWith('cycles'), await gatewayWith('cycles', { CACHE_L1: 'off' })];
    const admin = await tokenOf('admin', 'ADMIN');
    const viewers = [{ id: 'r6', token: await tokenOf('r6') }, { id: 'r7', token: await tokenOf('r7') }];
    const expected = (viewer: string, query: string, id: string) => {
      const { name, price, stock } = productNow(id);
      return { me: { id: viewer, note: `for ${viewer}` }, orders: ordersOf(viewer), product: query === WITH_ID ? { id, name, price, stock } : { price, stock } };
    };
    let hits = 0;
    for (let cycle = 0; cycle < 30; cycle++) {
      const id = ['p1', 'p2', 'p3'][cycle % 3]!;
      const query = cycle % 2 === 0 ? WITH_ID : WITHOUT_ID;
      // Every gateway warm for both viewers, then the write completes, then every read must show it.
      await Promise.all(viewers.flatMap((viewer) => [writer, inProcess, redisOnly].map((gateway) => post(gateway.url, query, viewer.token, { id }))));
      for (const viewer of viewers) {
        const warm = await post(redisOnly.url, query, viewer.token, { id });
        expect(warm.data).toEqual(expected(viewer.id, query, id));
        if (rootReport(warm, 'catalog')?.found === 'l2') hits += 1;
      }
      const price = 3000 + cycle;
      const write = await post(writer.url, 'mutation($id: ID!, $price: Int!) { setPrice(id: $id, price: $price) { id price } }', admin, { id, price });
      expect(write.data?.setPrice).toEqual({ id, price });
      for (const viewer of viewers) {
        for (const gateway of [writer, redisOnly]) expect((await post(gateway.url, query, viewer.token, { id })).data).toEqual(expected(viewer.id, query, id));
      }
    }
    // The reads before each write were answered from the cache: the purge, not a miss, made the reads after it fresh.
    expect(hits).toBe(60);
  });

  it('keeps nothing of a subgraph whose Query rule is off, nor an answer holding a type whose rule is off', async () => {
    for (const rule of ['Query=off', 'Product=off']) {
      const gateway = await gatewayWith(`rule-${rule}`, { SUBGRAPH_ENTITY_CACHE_CATALOG: rule });
      for (const viewer of ['r8', 'r9']) {
        const answer = await post(gateway.url, WITH_ID, await tokenOf(viewer), { id: 'p3' });
        expect(answer.data.product).toEqual({ id: 'p3', ...productNow('p3') });
      }
      expect(await callsTo(gateway, 'catalog')).toBe(2);
    }
  });
});
