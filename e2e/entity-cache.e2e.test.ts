import { stableId } from '@shopgraph/common';
import { loadConfig as loadOrdersConfig } from '@shopgraph/orders/env';
import { seedOrders } from '@shopgraph/orders/seed';
import { gatewayRequest, testEnv, waitFor } from '@shopgraph/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { demoProducts, type DemoOrder } from '../scripts/demo-data.js';
import { dataOf, gatewayUrl, gql, loginAdmin, registerCustomer } from './helpers.js';
import { startGatewayReplica, subscribeWs, waitForResult, wsClient, type GatewayReplica } from './subscription-clients.js';

/*
 * The gateway's entity cache (on, as `npm start` runs it) under a deep private read: each
 * customer's orders page (PRIVATE: kept per customer) with their products (PUBLIC entities,
 * shared by everyone), their user (PRIVATE: email is the viewer's own) and payment (PRIVATE),
 * while an admin changes product prices.
 */

const DEEP = `query MyOrders {
  me { id email }
  orders(first: 8) { edges { node { id user { id name email } payment { status } items { quantity product { id name price { amount currency } } } } } }
}`;

/** The products the customers' orders hold: the first six of the demo catalog. */
const PRODUCTS = demoProducts.slice(0, 6);

interface Customer {
  token: string;
  userId: string;
  email: string;
}

let customers: Customer[];
let adminToken: string;

beforeAll(async () => {
  customers = [await registerCustomer(), await registerCustomer()];
  adminToken = (await loginAdmin()).token;
  const env = testEnv(inject('databaseUrl'));
  for (const customer of customers) {
    const orders: DemoOrder[] = Array.from({ length: 8 }, (_, i) => ({
      id: seededOrderIds(customer)[i]!,
      userId: customer.userId,
      status: 'PAID',
      statusReason: null,
      items: [0, 1, 2].map((k) => ({ productId: PRODUCTS[(i + k) % PRODUCTS.length]!.id, quantity: 1 })),
      placedMinutesAgo: 30 + i,
    }));
    await seedOrders(loadOrdersConfig(env), orders, demoProducts);
  }
  entityPath = await startGatewayReplica({ ...inject('gatewayEnv'), RESPONSE_CACHE: 'false' });
});

afterAll(async () => {
  entityPath?.process.kill('SIGTERM');
  await entityPath?.exited;
});

type DeepRead = {
  me: { id: string; email: string };
  orders: { edges: { node: { id: string; user: { id: string; email: string }; items: { product: { id: string; price: { amount: number } } }[] } }[] };
};

/** The ids of the orders seeded for a customer. */
const seededOrderIds = (customer: Customer) => Array.from({ length: 8 }, (_, i) => stableId(`e2e-entity-cache:${customer.userId}:${i}`));

/**
 * The gateway the deep reads and the price changes go through: the platform's, with its response
 * cache off, so that every read runs the query plan and what it is spared the entity cache spared.
 * The writes go through it too: it drops its own first level's copies before it answers.
 */
let entityPath: GatewayReplica;
const readDeep = async (customer: Customer) => dataOf<DeepRead>(await gatewayRequest<DeepRead>(entityPath.url, DEEP, {}, customer.token));

/** Every product's price the read shows, by id. */
function pricesIn(read: DeepRead): Map<string, number> {
  const prices = new Map<string, number>();
  for (const { node } of read.orders.edges) for (const { product } of node.items) prices.set(product.id, product.price.amount);
  return prices;
}

/** The read holds the viewer's own user and orders and nobody else's, wherever they appear. */
function expectOwn(read: DeepRead, customer: Customer) {
  expect(read.me).toMatchObject({ id: customer.userId, email: customer.email });
  expect(read.orders.edges.map(({ node }) => node.id).sort()).toEqual(seededOrderIds(customer).sort());
  for (const { node } of read.orders.edges) expect(node.user).toEqual({ id: customer.userId, name: 'E2E Customer', email: customer.email });
}

describe('the entity cache', () => {
  it('never shows a product as it was before a completed write (50 update/read cycles, two customers reading their orders)', async () => {
    for (let cycle = 0; cycle < 50; cycle++) {
      const product = PRODUCTS[cycle % PRODUCTS.length]!;
      const amount = 10_000 + cycle;
      // Both customers read, so every product's entity is cached, then the write completes …
      for (const read of await Promise.all(customers.map(readDeep))) expect(pricesIn(read).size).toBe(PRODUCTS.length);
      const write = await gatewayRequest(
        entityPath.url,
        'mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id price { amount } } }',
        { id: product.id, input: { price: { amount, currency: 'EUR' } } },
        adminToken,
      );
      expect(dataOf(write).updateProduct).toEqual({ id: product.id, price: { amount } });
      // … and every read after it shows the new price, in every order that holds the product.
      for (const [n, read] of (await Promise.all(customers.map(readDeep))).entries()) {
        expectOwn(read, customers[n]!);
        expect(pricesIn(read).get(product.id)).toBe(amount);
      }
    }
  });

  it('never shows one customer a PRIVATE field of another (1,000 interleaved deep reads, cache warm)', async () => {
    await Promise.all(customers.map(readDeep));
    for (let batch = 0; batch < 50; batch++) {
      // Twenty at a time, the two customers alternating.
      const reads = await Promise.all(Array.from({ length: 20 }, (_, i) => customers[i % 2]!).map(async (customer) => ({ customer, read: await readDeep(customer) })));
      for (const { customer, read } of reads) expectOwn(read, customer);
    }
  });
});

/*
 * Root fields marked cacheable: `products(search:)` is PUBLIC (its @cacheControl hint), so its
 * fetch is kept whole and shared; the query also reads the viewer's nested orders list (never
 * kept: only `Query.orders` carries the list's tag, so a new order could not purge it), so the
 * response cache keeps none of its responses and every read goes through the plan. A second
 * gateway, with the debugging extension and no first level, says where each root fetch was
 * answered from; the platform's gateway carries the writes.
 */
describe('the entity cache: root fields marked cacheable', () => {
  const SEARCH = `query SearchWithOrders($search: String!) {
    me { id email orders(first: 1) { edges { node { id } } } }
    products(first: 5, search: $search) { edges { node { id name price { amount } stock } } }
  }`;
  type SearchRead = { me: { id: string; email: string }; products: { edges: { node: { id: string; name: string; price: { amount: number }; stock: number } }[] } };
  type Report = { subgraph: string; root?: string[]; found?: string };
  type Search = { data?: SearchRead; extensions?: { entityCache?: Report[] } };

  // Letters only: one word to the full-text search, found in nothing else.
  const term = `rootcache${Array.from({ length: 8 }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))).join('')}`;
  let replica: GatewayReplica;
  const created: string[] = [];

  beforeAll(async () => {
    replica = await startGatewayReplica({ ...inject('gatewayEnv'), ENTITY_CACHE_EXTENSION: 'true', CACHE_L1: 'off' });
  });

  afterAll(async () => {
    replica?.process.kill('SIGTERM');
    await replica?.exited;
    for (const id of created) dataOf(await gql('mutation($id: ID!) { deleteProduct(id: $id) }', { id }, adminToken));
  });

  async function search(url: string, customer: Customer): Promise<Search> {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${customer.token}` },
      body: JSON.stringify({ query: SEARCH, variables: { search: term } }),
    });
    const answer = (await response.json()) as Search & { errors?: unknown };
    expect(answer.errors).toBeUndefined();
    expect(answer.data!.me).toMatchObject({ id: customer.userId, email: customer.email });
    return answer;
  }
  const productsFound = (answer: Search) => answer.data!.products.edges.map(({ node }) => node);
  const foundFrom = (answer: Search) => answer.extensions?.entityCache?.find((report) => report.root?.includes('products'))?.found;

  /** Every customer, through both gateways, sees `expected`; the replica answers its second read of each from the cache. */
  async function expectEverywhere(expected: SearchRead['products']['edges'][number]['node'][]) {
    for (const customer of customers) {
      expect(productsFound(await search(gatewayUrl(), customer))).toEqual(expected);
      expect(productsFound(await search(replica.url, customer))).toEqual(expected);
    }
    const again = await search(replica.url, customers[0]!);
    expect(productsFound(again)).toEqual(expected);
    expect(foundFrom(again)).toBe('l2');
  }

  it('shares a PUBLIC list root across customers and never shows it stale after a create, a price change or stock a worker reserved', async () => {
    const first = await search(replica.url, customers[0]!);
    expect(productsFound(first)).toEqual([]);
    // The other customer's read is the first one's entry.
    expect(foundFrom(await search(replica.url, customers[1]!))).toBe('l2');

    const input = { sku: `RC-${term}`, name: `Kite ${term}`, price: { amount: 1500, currency: 'EUR' }, stock: 6 };
    const product = dataOf(await gql('mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }', { input }, adminToken)).createProduct as { id: string };
    created.push(product.id);
    // The list gained a member: its tag (Query.products) was purged before createProduct answered.
    await expectEverywhere([{ id: product.id, name: input.name, price: { amount: 1500 }, stock: 6 }]);

    const write = await gql(
      'mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id } }',
      { id: product.id, input: { price: { amount: 1700, currency: 'EUR' } } },
      adminToken,
    );
    expect(dataOf(write).updateProduct).toEqual({ id: product.id });
    await expectEverywhere([{ id: product.id, name: input.name, price: { amount: 1700 }, stock: 6 }]);

    // A worker reserves the stock (and purges Product:<id>) before the order is reported AWAITING_PAYMENT.
    const placed = dataOf(
      await gql('mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }', { input: { items: [{ productId: product.id, quantity: 2 }] } }, customers[1]!.token),
    ).placeOrder as { id: string };
    await waitFor(
      async () => {
        const order = dataOf(await gql('query($id: ID!) { order(id: $id) { status } }', { id: placed.id }, customers[1]!.token)).order as { status: string };
        return order.status === 'PENDING' ? undefined : order.status;
      },
      { timeoutMs: 30_000, intervalMs: 25, what: 'the reservation' },
    ).then((status) => expect(status).toBe('AWAITING_PAYMENT'));
    await expectEverywhere([{ id: product.id, name: input.name, price: { amount: 1700 }, stock: 4 }]);
  });
});

/*
 * A customer's orders page: `orders(first:)` and each order's payment are PRIVATE (their
 * subgraphs' hints), so the entity cache keeps the page's root fetch and the payments' entity
 * fetch per viewer, tagged with the orders they show. A replica with no first level (every read
 * from Redis) reads the page; the writes are the customer's mutations and the workers' steps,
 * which purge before they are reported: a mutation before it answers, a checkout step before its
 * event is pushed to the order's subscribers.
 */
describe("the entity cache: a customer's orders page", () => {
  const PAGE = 'query MyOrdersPage { orders(first: 5) { totalCount edges { node { id status total { amount } payment { status } } } } }';
  type Page = { orders: { totalCount: number; edges: { node: { id: string; status: string; total: { amount: number } | null; payment: { status: string } | null } }[] } };
  type Report = { subgraph: string; root?: string[]; found?: string; requested?: number; hits?: { l1: number; l2: number } };
  type Answer = { data?: Page; errors?: unknown; extensions?: { entityCache?: Report[] } };
  const ORDER_UPDATED = 'subscription($id: ID!) { orderUpdated(id: $id) { id status payment { status } } }';

  let replica: GatewayReplica;
  let productId: string;

  beforeAll(async () => {
    replica = await startGatewayReplica({ ...inject('gatewayEnv'), ENTITY_CACHE_EXTENSION: 'true', CACHE_L1: 'off', RESPONSE_CACHE: 'false' });
    const input = { sku: `OP-${Date.now()}`, name: 'Orders page kite', price: { amount: 900, currency: 'EUR' }, stock: 5 };
    productId = (dataOf(await gql('mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }', { input }, adminToken)).createProduct as { id: string }).id;
  });

  afterAll(async () => {
    replica?.process.kill('SIGTERM');
    await replica?.exited;
    if (productId) dataOf(await gql('mutation($id: ID!) { deleteProduct(id: $id) }', { id: productId }, adminToken));
  });

  async function readPage(customer: Customer): Promise<Answer> {
    const response = await fetch(replica.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${customer.token}` },
      body: JSON.stringify({ query: PAGE }),
    });
    const answer = (await response.json()) as Answer;
    expect(answer.errors).toBeUndefined();
    return answer;
  }
  /** Holds a row locked (FOR UPDATE) until released: the checkout step that needs it waits for the test. */
  async function holdRow(table: 'products.products' | 'orders.orders', id: string): Promise<{ release(): Promise<void> }> {
    const connection = new pg.Client({ connectionString: inject('databaseUrl') });
    await connection.connect();
    await connection.query('begin');
    await connection.query(`select id from ${table} where id = $1 for update`, [id]);
    let released: Promise<void> | undefined;
    return { release: () => (released ??= connection.query('commit').then(() => connection.end())) };
  }
  const rootFound = (answer: Answer) => answer.extensions?.entityCache?.find((report) => report.root?.includes('orders'))?.found;
  const nodes = (answer: Answer) => answer.data!.orders.edges.map(({ node }) => node);

  /** The page as the customer reads it now, then read again: the second read answered from the cache, and the same (nothing of theirs may be under way). */
  async function pageTwice(customer: Customer) {
    const first = await readPage(customer);
    const again = await readPage(customer);
    expect(rootFound(again)).toBe('l2');
    expect(again.data).toEqual(first.data);
    return nodes(first);
  }

  it('is kept per viewer, and shows each change of an order once it is reported: placeOrder and payOrder at once, each checkout step by its push', async () => {
    const [customer, other] = [await registerCustomer(), await registerCustomer()];
    expect(await pageTwice(customer)).toEqual([]);
    expect(await pageTwice(other)).toEqual([]);

    // The reservation waits for the product's row until the order's subscription has its first push.
    const product = await holdRow('products.products', productId);
    const client = wsClient(gatewayUrl(), customer.token);
    try {
      const placed = dataOf(
        await gql('mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }', { input: { items: [{ productId, quantity: 1 }] } }, customer.token),
      ).placeOrder as { id: string };
      // The list's tag (Query.orders) was purged before placeOrder answered; the other customer's page is theirs alone.
      expect(await pageTwice(customer)).toEqual([{ id: placed.id, status: 'PENDING', total: null, payment: null }]);
      expect(await pageTwice(other)).toEqual([]);

      const updates = subscribeWs<{ orderUpdated: { id: string; status: string; payment: { status: string } | null } }>(client, ORDER_UPDATED, { id: placed.id });
      const pushed = (done: (update: { status: string; payment: { status: string } | null }) => boolean, what: string) =>
        waitForResult(updates, (received) => received.results.some((result) => result.data && done(result.data.orderUpdated)), what);
      await pushed((order) => order.status === 'PENDING', 'the order as it is now');

      // Every push from here on is an event: the reservation's, sent after its purge.
      await product.release();
      await pushed((order) => order.status === 'AWAITING_PAYMENT', 'AWAITING_PAYMENT pushed');
      expect(await pageTwice(customer)).toEqual([{ id: placed.id, status: 'AWAITING_PAYMENT', total: { amount: 900 }, payment: null }]);

      // The order may not become PAID until payOrder's own event has been pushed.
      const order = await holdRow('orders.orders', placed.id);
      const paying = await gql(
        'mutation($orderId: ID!, $key: String!) { payOrder(orderId: $orderId, idempotencyKey: $key, method: { card: "4242424242424242" }) { id status } }',
        { orderId: placed.id, key: `orders-page-${placed.id}` },
        customer.token,
      );
      expect(dataOf(paying).payOrder.status).toBe('PROCESSING');
      // Its order's tag was purged before payOrder answered: the page shows the payment (still PROCESSING, or already charged).
      const [afterPay] = nodes(await readPage(customer));
      expect(afterPay).toMatchObject({ id: placed.id, status: 'AWAITING_PAYMENT' });
      expect(['PROCESSING', 'SUCCEEDED']).toContain(afterPay!.payment?.status);
      await pushed((update) => update.payment !== null, "payOrder's push");

      await order.release();
      await pushed((update) => update.status === 'PAID', 'PAID pushed');
      expect(await pageTwice(customer)).toEqual([{ id: placed.id, status: 'PAID', total: { amount: 900 }, payment: { status: 'SUCCEEDED' } }]);
      expect(await pageTwice(other)).toEqual([]);
      updates.stop();
    } finally {
      await product.release();
      await client.dispose();
    }
  });
});
