import { randomUUID } from 'node:crypto';
import { stableId, type Viewer } from '@shopgraph/common';
import type { RunningServer } from '@shopgraph/common/subgraph';
import { createTestDatabase, readCounter, subgraphRequest, testEnv, type TestDatabase } from '@shopgraph/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoOrders, type CatalogEntry, type DemoOrder } from './demo-data.js';
import { loadConfig, type OrdersConfig } from './env.js';
import { seedOrders } from './seed.js';
import { createOrdersServer } from './server.js';

const alice = { id: stableId('user:alice') };
const bob = { id: stableId('user:bob') };
/** A catalog of the products the demo orders hold (the products subgraph's own is not this one's to import). */
const catalog: CatalogEntry[] = [...new Set(demoOrders.flatMap((order) => order.items.map((item) => item.productId)))].map((id, i) => ({
  id,
  name: `Product ${i + 1}`,
  price: { amount: 1000 + 10 * i, currency: 'EUR' },
}));
const product = (sku: string) => catalog.find((entry) => entry.id === stableId(`product:${sku}`))!;
const asCustomer = (user: { id: string }): Viewer => ({ id: user.id, role: 'CUSTOMER' });
const admin: Viewer = { id: stableId('user:test-admin'), role: 'ADMIN' };
const aliceViewer = asCustomer(alice);
const bobViewer = asCustomer(bob);

const ORDER_FIELDS = `id status statusReason createdAt updatedAt total { amount currency } user { id }
  items { quantity productName unitPrice { amount currency } product { id } }`;
const ORDER = `query($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`;
const LIST = `query($first: Int, $after: String) {
  orders(first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id status } } }
}`;
const LIST_WITH_ITEMS = `query($first: Int) {
  orders(first: $first) { edges { node { id items { quantity product { id } } } } }
}`;
const USER_ORDERS = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on User {
  id orders { totalCount edges { node { id items { quantity product { id } } } } }
} } }`;

const byId = (key: string) => demoOrders.find((order) => order.id === stableId(`order:${key}`))!;
/** Newest first; orders placed at the same moment by id, descending, as the keyset orders them. */
const newestFirstOf = (orders: DemoOrder[]) =>
  [...orders]
    .sort((a, b) => a.placedMinutesAgo - b.placedMinutesAgo || (a.id < b.id ? 1 : -1))
    .map((order) => order.id);
const newestFirst = (userId: string) => newestFirstOf(demoOrders.filter((order) => order.userId === userId));

let database: TestDatabase;
let config: OrdersConfig;
let server: RunningServer;
let url: string;
const gql = (query: string, variables: Record<string, unknown> = {}, viewer: Viewer | null = null) =>
  subgraphRequest({ url, name: 'orders' }, query, variables, viewer);

/** Counts the SQL statements one operation sends to Postgres. */
async function statementsFor(run: () => Promise<unknown>): Promise<number> {
  const metrics = url.replace('/graphql', '/metrics');
  const before = await readCounter(metrics, 'shopgraph_sql_statements_total');
  await run();
  return (await readCounter(metrics, 'shopgraph_sql_statements_total')) - before;
}

/** `count` paid orders of two lines each for `userId`, a minute apart. */
const bulkOrders = (userId: string, count: number): DemoOrder[] =>
  Array.from({ length: count }, (_, i) => ({
    id: randomUUID(),
    userId,
    status: 'PAID',
    statusReason: null,
    items: [
      { productId: catalog[i % catalog.length]!.id, quantity: 1 + (i % 3) },
      { productId: catalog[(i + 1) % catalog.length]!.id, quantity: 1 },
    ],
    placedMinutesAgo: 10_000 + i,
  }));

beforeAll(async () => {
  database = await createTestDatabase();
  config = loadConfig(testEnv(database.url));
  await seedOrders(config, demoOrders, catalog);
  server = await createOrdersServer(config);
  url = await server.listen(0, '127.0.0.1');
});

afterAll(async () => {
  await server?.close();
  await database?.drop();
});

describe('the demo seed', () => {
  it('prices every order but PENDING ones from the catalog snapshot', async () => {
    const paid = await gql(ORDER, { id: byId('alice-paid').id }, aliceViewer);
    expect(paid.errors).toBeUndefined();
    const mug = product('MUG-BLUE');
    const beans = product('BEANS-ETH');
    expect(paid.data!.order).toMatchObject({
      status: 'PAID',
      total: { amount: 2 * mug.price.amount + beans.price.amount, currency: 'EUR' },
      user: { id: alice.id },
    });
    expect(paid.data!.order.items).toEqual(
      expect.arrayContaining([
        { quantity: 2, productName: mug.name, unitPrice: mug.price, product: { id: mug.id } },
        { quantity: 1, productName: beans.name, unitPrice: beans.price, product: { id: beans.id } },
      ]),
    );

    const pending = await gql(ORDER, { id: byId('alice-pending').id }, aliceViewer);
    expect(pending.data!.order).toMatchObject({ status: 'PENDING', total: null });
    expect(pending.data!.order.items).toEqual([
      { quantity: 3, productName: null, unitPrice: null, product: { id: byId('alice-pending').items[0]!.productId } },
    ]);

    const rejected = await gql(ORDER, { id: byId('alice-rejected').id }, aliceViewer);
    expect(rejected.data!.order.statusReason).toMatch(/Not enough stock/);
    expect(rejected.data!.order.total).not.toBeNull();
  });

  it('changes nothing when it runs again', async () => {
    await seedOrders(config, demoOrders, catalog);
    const all = await gql(LIST, { first: 100 }, admin);
    expect(all.data!.orders.totalCount).toBe(demoOrders.length);
  });
});

describe('who sees which order', () => {
  it('shows a customer only their own orders, newest first, page by page', async () => {
    const expected = newestFirst(alice.id);
    const first = await gql(LIST, { first: 4 }, aliceViewer);
    expect(first.errors).toBeUndefined();
    expect(first.data!.orders.totalCount).toBe(expected.length);
    expect(first.data!.orders.pageInfo.hasNextPage).toBe(true);
    const second = await gql(LIST, { first: 4, after: first.data!.orders.pageInfo.endCursor }, aliceViewer);
    expect(second.data!.orders.pageInfo).toEqual({ hasNextPage: false, endCursor: second.data!.orders.edges.at(-1).cursor });
    const seen = [...first.data!.orders.edges, ...second.data!.orders.edges].map((e: any) => e.node.id);
    expect(seen).toEqual(expected);

    const bobs = await gql(LIST, {}, bobViewer);
    expect(bobs.data!.orders.edges.map((e: any) => e.node.id)).toEqual(newestFirst(bob.id));
  });

  it('shows an admin every order', async () => {
    const all = await gql(LIST, { first: 100 }, admin);
    expect(all.data!.orders.totalCount).toBe(demoOrders.length);
    const ids = all.data!.orders.edges.map((e: any) => e.node.id);
    // Two demo orders were placed at the same minute: the id decides between them.
    expect(ids).toEqual(newestFirstOf(demoOrders));
    const other = await gql(ORDER, { id: byId('carol-refunded').id }, admin);
    expect(other.data!.order.status).toBe('CANCELLED');
  });

  it("answers another customer's order exactly like a missing one: NOT_FOUND", async () => {
    const foreign = await gql(ORDER, { id: byId('alice-paid').id }, bobViewer);
    const missing = await gql(ORDER, { id: randomUUID() }, bobViewer);
    for (const result of [foreign, missing]) {
      expect(result.data!.order).toBeNull();
      expect(result.errors).toHaveLength(1);
      expect(result.errors![0]!.extensions?.code).toBe('NOT_FOUND');
    }
    // Apart from the id it names, the error must not tell the two apart.
    const shape = (result: typeof foreign) => {
      const [error] = result.errors!;
      return { ...error, message: error!.message.replace(/[0-9a-f-]{36}/, 'ID'), extensions: { ...error!.extensions, id: 'ID' } };
    };
    expect(shape(foreign)).toEqual(shape(missing));
  });

  it('answers a malformed id with BAD_USER_INPUT', async () => {
    const result = await gql(ORDER, { id: '42' }, aliceViewer);
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('asks anonymous callers to sign in', async () => {
    expect((await gql(LIST)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await gql(ORDER, { id: byId('alice-paid').id })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses out-of-range pages and malformed cursors', async () => {
    expect((await gql(LIST, { first: 0 }, aliceViewer)).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await gql(LIST, { first: 101 }, aliceViewer)).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await gql(LIST, { after: 'bm90LWEtY3Vyc29y' }, aliceViewer)).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('resolves Order references for the owner or an admin only', async () => {
    const query = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Order { id status } } }`;
    const reps = [{ __typename: 'Order', id: byId('bob-paid').id }];
    expect((await gql(query, { reps }, bobViewer)).data!._entities).toEqual([{ id: byId('bob-paid').id, status: 'PAID' }]);
    expect((await gql(query, { reps }, admin)).data!._entities).toEqual([{ id: byId('bob-paid').id, status: 'PAID' }]);
    const foreign = await gql(query, { reps }, aliceViewer);
    expect(foreign.data!._entities).toEqual([null]);
    expect(foreign.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('User.orders', () => {
  it('lists a user their own orders, newest first, with items', async () => {
    const result = await gql(USER_ORDERS, { reps: [{ __typename: 'User', id: alice.id }] }, aliceViewer);
    expect(result.errors).toBeUndefined();
    const [user] = result.data!._entities;
    expect(user.orders.totalCount).toBe(newestFirst(alice.id).length);
    expect(user.orders.edges.map((e: any) => e.node.id)).toEqual(newestFirst(alice.id));
    const paid = user.orders.edges.find((e: any) => e.node.id === byId('alice-paid').id).node;
    expect(paid.items).toHaveLength(2);
  });

  it("refuses another user's orders with FORBIDDEN and lets an admin see them", async () => {
    const reps = [{ __typename: 'User', id: bob.id }];
    const foreign = await gql(USER_ORDERS, { reps }, aliceViewer);
    expect(foreign.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const asAdmin = await gql(USER_ORDERS, { reps }, admin);
    expect(asAdmin.data!._entities[0].orders.edges.map((e: any) => e.node.id)).toEqual(newestFirst(bob.id));
  });

  it('pages with cursors and keeps different page arguments apart in one request', async () => {
    const query = `query($reps: [_Any!]!, $after: String) { _entities(representations: $reps) { ... on User {
      one: orders(first: 1) { pageInfo { hasNextPage endCursor } edges { node { id } } }
      rest: orders(first: 10, after: $after) { pageInfo { hasNextPage } edges { node { id } } }
    } } }`;
    const reps = [{ __typename: 'User', id: alice.id }, { __typename: 'User', id: bob.id }];
    const expected = [newestFirst(alice.id), newestFirst(bob.id)];
    const firstPage = await gql(query, { reps }, admin);
    expect(firstPage.errors).toBeUndefined();
    firstPage.data!._entities.forEach((user: any, i: number) => {
      expect(user.one.edges.map((e: any) => e.node.id)).toEqual(expected[i]!.slice(0, 1));
      expect(user.one.pageInfo.hasNextPage).toBe(true);
      expect(user.rest.edges.map((e: any) => e.node.id)).toEqual(expected[i]);
    });
    const cursor = firstPage.data!._entities[0].one.pageInfo.endCursor;
    const next = await gql(query, { reps: reps.slice(0, 1), after: cursor }, aliceViewer);
    expect(next.data!._entities[0].rest.edges.map((e: any) => e.node.id)).toEqual(expected[0]!.slice(1));
    expect(next.data!._entities[0].rest.pageInfo.hasNextPage).toBe(false);
  });

  it('answers a user without orders with an empty connection', async () => {
    const stranger = asCustomer({ id: randomUUID() });
    const result = await gql(USER_ORDERS, { reps: [{ __typename: 'User', id: stranger.id }] }, stranger);
    expect(result.data!._entities[0].orders).toEqual({ totalCount: 0, edges: [] });
  });
});

describe('statements per request', () => {
  const heavy = asCustomer({ id: randomUUID() });
  const shoppers = Array.from({ length: 30 }, () => asCustomer({ id: randomUUID() }));

  beforeAll(async () => {
    await seedOrders(config, [heavy, ...shoppers].flatMap((user) => bulkOrders(user.id, user === heavy ? 60 : 3)), catalog);
  });

  it('lists 50 orders with their items in as many statements as 5', async () => {
    const list = async (first: number) => {
      const result = await gql(LIST_WITH_ITEMS, { first }, heavy);
      expect(result.data!.orders.edges).toHaveLength(first);
      expect(result.data!.orders.edges.every((e: any) => e.node.items.length === 2)).toBe(true);
    };
    const forFive = await statementsFor(() => list(5));
    expect(forFive).toBeGreaterThan(0);
    expect(await statementsFor(() => list(50))).toBe(forFive);
  });

  it("answers a customer's first page, its count and its orders' items in one statement, as the loaders would", async () => {
    const PAGE = `query($first: Int) { orders(first: $first) { totalCount edges { node { id items {
      quantity productName unitPrice { amount currency } product { id } } } } } }`;
    let page: Awaited<ReturnType<typeof gql>> | undefined;
    expect(await statementsFor(async () => (page = await gql(PAGE, { first: 20 }, heavy)))).toBe(1);
    expect(page!.errors).toBeUndefined();
    expect(page!.data!.orders.totalCount).toBe(60);
    const edges = page!.data!.orders.edges as { node: { id: string; items: unknown[] } }[];
    expect(edges).toHaveLength(20);
    for (const { node } of edges.slice(0, 3)) {
      // order(id) reads the items through the batch loader: the same lines, in the same order.
      const single = await gql(`query($id: ID!) { order(id: $id) { items { quantity productName unitPrice { amount currency } product { id } } } }`, { id: node.id }, heavy);
      expect(node.items).toEqual(single.data!.order.items);
      expect(node.items).toHaveLength(2);
    }
  });

  it("resolves 30 users' orders with items in as many statements as 3", async () => {
    const resolve = async (count: number) => {
      const reps = shoppers.slice(0, count).map((user) => ({ __typename: 'User', id: user.id }));
      const result = await gql(USER_ORDERS, { reps }, admin);
      expect(result.errors).toBeUndefined();
      expect(result.data!._entities).toHaveLength(count);
      for (const user of result.data!._entities) {
        expect(user.orders.totalCount).toBe(3);
        expect(user.orders.edges.flatMap((e: any) => e.node.items)).toHaveLength(6);
      }
    };
    const forThree = await statementsFor(() => resolve(3));
    expect(forThree).toBeGreaterThan(0);
    expect(await statementsFor(() => resolve(30))).toBe(forThree);
  });
});
