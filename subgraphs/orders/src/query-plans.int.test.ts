import { createDb, createLogger, prepareSubgraphDatabase, type Db, type Viewer } from '@shopgraph/common';
import { createTestDatabase, planProblemsOfRead, StatementRecorder, type PlanExpectation, type TestDatabase } from '@shopgraph/testing';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext } from './context.js';
import { migrationsFolder } from './server.js';
import { listOrders, listUserOrders } from './services/order-service.js';

// Every list read the orders subgraph serves, EXPLAINed exactly as it is sent, on tables far past
// the 1,000 rows where a sequential scan stops being harmless (the benchmark's 20,000 orders of
// 1,000 customers). Autovacuum is not relied on (it may be off): the rows are planned fresh, then
// after an ANALYZE that newer rows postdate. A customer's few orders may be read as a bitmap of
// their entries and sorted; every order, for an admin, must be an ordered walk of the index.

const logger = createLogger('orders-plans', 'silent');
const USERS = 1000;
/** The id of seeded user `n` (1..USERS). */
const userId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const customer: Viewer = { id: userId(7), role: 'CUSTOMER' };
const admin: Viewer = { id: userId(1), role: 'ADMIN' };

let database: TestDatabase;
let db: Db;
let recorded: Db;
const recorder = new StatementRecorder();
const contextOf = (viewer: Viewer) => createContext(recorded, { viewer, requestId: 'plans', logger });

/** Orders numbered `first` on, older the higher the number, spread over the users; two items each. */
async function insertOrders(first: number, count: number) {
  await db.execute(sql`
    with placed as (
      insert into orders (user_id, status, total_amount, total_currency, created_at)
      select ('00000000-0000-4000-8000-' || lpad((1 + i % ${USERS}::int)::text, 12, '0'))::uuid, 'PAID', 1000, 'EUR',
             now() - i * interval '1 minute'
      from generate_series(${first}::int, ${first + count - 1}::int) as i
      returning id)
    insert into order_items (order_id, product_id, quantity, product_name, unit_price_amount, unit_price_currency)
    select placed.id, gen_random_uuid(), 1, 'Item', 500, 'EUR' from placed, generate_series(1, 2)`);
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb({ url: database.url, subgraph: 'orders', logger, max: 2 });
  await prepareSubgraphDatabase(database.url, db, 'orders', migrationsFolder);
  // The same connections, every statement recorded as sent.
  recorded = drizzle({ client: db.$client, logger: recorder.logger }) as Db;
  await insertOrders(1, 20_000);
});

afterAll(async () => {
  await db?.$client.end();
  await database?.drop();
});

interface Read extends PlanExpectation {
  name: string;
  /** Sends the statements to check; those it sends before `recorder.take()` are only setup. */
  read: () => Promise<unknown>;
}

/** The cursor after the first page `viewer` sees. */
async function secondPage(viewer: Viewer) {
  const { pageInfo } = await listOrders(contextOf(viewer), { first: 10 });
  recorder.take();
  return pageInfo.endCursor;
}

const reads: Read[] = [
  {
    name: "a customer's orders",
    read: () => listOrders(contextOf(customer), { first: 20 }),
    uses: ['orders_user_recent_idx'],
  },
  {
    name: "a later page of a customer's orders",
    read: async () => listOrders(contextOf(customer), { first: 20, after: await secondPage(customer) }),
    uses: ['orders_user_recent_idx'],
  },
  {
    // With its count and each order's items in the one statement.
    name: "a customer's first page with items",
    read: () => listOrders(contextOf(customer), { first: 20 }, { count: true, items: true }),
    uses: ['orders_user_recent_idx', 'order_items_order_id_product_id_pk'],
  },
  {
    // A first page brings its count along; a later one asks for it apart.
    name: "a customer's totalCount",
    read: async () => {
      const page = await listOrders(contextOf(customer), { first: 1, after: await secondPage(customer) });
      recorder.take();
      return page.totalCount();
    },
    // Either index that leads with user_id serves it (orders_idempotency_key is one too): any
    // plan but a sequential scan will do.
    uses: [],
  },
  {
    name: 'every order, for an admin',
    read: () => listOrders(contextOf(admin), { first: 20 }),
    uses: ['Index Scan on orders_recent_idx'],
  },
  {
    name: 'a later page of every order',
    read: async () => listOrders(contextOf(admin), { first: 20, after: await secondPage(admin) }),
    uses: ['Index Scan on orders_recent_idx'],
  },
  {
    name: "an admin's totalCount",
    read: async () => {
      const page = await listOrders(contextOf(admin), { first: 1 });
      recorder.take();
      return page.totalCount();
    },
    uses: [],
    touchesOnly: 'row_counts',
  },
  {
    name: 'User.orders of many users at once, with their totalCounts',
    read: async () => {
      const ctx = contextOf(admin);
      const pages = await Promise.all(Array.from({ length: 20 }, (_, i) => listUserOrders(ctx, userId(i + 1), { first: 5 })));
      return Promise.all(pages.map((page) => page.totalCount()));
    },
    uses: ['orders_user_recent_idx'],
  },
  {
    name: 'the orders and items of a page (entity references)',
    read: async () => {
      const page = await listOrders(contextOf(admin), { first: 20 });
      const { loaders } = contextOf(admin);
      recorder.take();
      const ids = page.edges.map((edge) => edge.node.id);
      return Promise.all([...ids.map((id) => loaders.orderById.load(id)), ...ids.map((id) => loaders.itemsByOrderId.load(id))]);
    },
    uses: ['orders_pkey', 'order_items_order_id_product_id_pk'],
  },
];

/** `analyzed`: the planner has statistics (older than some rows); see `anyNodeType` otherwise. */
function checkEveryRead(analyzed: boolean) {
  it.each(reads)('$name uses its index and scans no large table', async ({ read, ...expectation }) => {
    expect(await planProblemsOfRead(db.$client, recorder, read, { ...expectation, anyNodeType: !analyzed })).toEqual([]);
  });
}

describe('on rows never analyzed', () => {
  checkEveryRead(false);
});

describe('on rows inserted after the last ANALYZE', () => {
  beforeAll(async () => {
    await db.execute(sql`analyze orders, order_items`);
    await insertOrders(20_001, 5000);
  });
  checkEveryRead(true);
});
