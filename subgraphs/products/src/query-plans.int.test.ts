import { createDb, createLogger, prepareSubgraphDatabase, type Db } from '@shopgraph/common';
import { createTestDatabase, planProblemsOfRead, StatementRecorder, type PlanExpectation, type TestDatabase } from '@shopgraph/testing';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type Context } from './context.js';
import { migrationsFolder } from './server.js';
import { listProducts } from './services/product-service.js';

// Every list read the products subgraph serves, EXPLAINed exactly as it is sent, on a catalog far
// past the 1,000 rows where a sequential scan stops being harmless. Autovacuum is not relied on
// (it may be off): the rows are planned fresh, then after an ANALYZE that newer rows postdate.

const logger = createLogger('products-plans', 'silent');

let database: TestDatabase;
let db: Db;
const recorder = new StatementRecorder();
let ctx: Context;

/** Products numbered `first` on, older the higher the number; every 10th soft-deleted. */
async function insertProducts(first: number, count: number, name: string) {
  await db.execute(sql`
    insert into products (sku, name, description, price_amount, price_currency, on_hand, created_at, deleted_at)
    select 'PLAN-' || i, ${name}::text || ' ' || i, 'Plain catalog filler number ' || i, 100 + i, 'EUR', 10,
           now() - i * interval '1 second', case when i % 10 = 0 then now() end
    from generate_series(${first}::int, ${first + count - 1}::int) as i`);
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb({ url: database.url, subgraph: 'products', logger, max: 2 });
  await prepareSubgraphDatabase(database.url, db, 'products', migrationsFolder);
  // The same connections, every statement recorded as sent.
  ctx = createContext(drizzle({ client: db.$client, logger: recorder.logger }) as Db, { viewer: null, requestId: 'plans', logger });
  await insertProducts(1, 3000, 'Catalog item');
  await db.execute(sql`
    insert into products (sku, name, description, price_amount, price_currency, on_hand)
    values ('MUG-1', 'Enamel mug', 'Blue', 900, 'EUR', 3), ('MUG-2', 'Stoneware mug', null, 1200, 'EUR', 3)`);
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

const reads: Read[] = [
  {
    name: 'the first page of the catalog',
    read: () => listProducts(ctx, { first: 20 }),
    // An ordered walk that stops after 21 entries: no sort of the catalog.
    uses: ['Index Scan on products_catalog_order_idx'],
  },
  {
    name: 'a later page of the catalog',
    read: async () => {
      const { pageInfo } = await listProducts(ctx, { first: 20 });
      recorder.take();
      return listProducts(ctx, { first: 20, after: pageInfo.endCursor });
    },
    uses: ['Index Scan on products_catalog_order_idx'],
  },
  {
    name: 'the catalog totalCount',
    read: async () => {
      const page = await listProducts(ctx, { first: 1 });
      recorder.take();
      return page.totalCount();
    },
    uses: [],
    touchesOnly: 'row_counts',
  },
  { name: 'a search', read: () => listProducts(ctx, { first: 20, search: 'mug' }), uses: ['Bitmap Index Scan on products_search_idx'] },
  {
    name: 'a search for a sku',
    read: () => listProducts(ctx, { first: 20, search: 'PLAN-42' }),
    uses: ['Bitmap Index Scan on products_search_idx'],
  },
  {
    name: 'a search totalCount',
    read: async () => {
      const page = await listProducts(ctx, { first: 20, search: 'lantern' });
      recorder.take();
      return page.totalCount();
    },
    uses: ['Bitmap Index Scan on products_search_idx'],
  },
  {
    name: 'products by id (entity references)',
    read: async () => {
      const page = await listProducts(ctx, { first: 20 });
      const { loaders } = createContext(ctx.db, { viewer: null, requestId: 'plans', logger });
      recorder.take();
      return Promise.all(page.edges.map((edge) => loaders.productById.load(edge.node.id)));
    },
    uses: ['products_pkey'],
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
    await db.execute(sql`analyze products`);
    await insertProducts(3001, 1500, 'Newer item');
    await db.execute(sql`
      insert into products (sku, name, description, price_amount, price_currency, on_hand)
      values ('LANTERN-1', 'Storm lantern', null, 2500, 'EUR', 2), ('MUG-3', 'Travel mug', null, 1500, 'EUR', 4)`);
  });
  checkEveryRead(true);
});
