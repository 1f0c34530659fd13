import { createDb, createLogger, prepareSubgraphDatabase, type Db, type Viewer } from '@shopgraph/common';
import { createTestDatabase, largeSequentialScans, planScans, type Statement, type TestDatabase } from '@shopgraph/testing';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type Context } from './context.js';
import { migrationsFolder } from './server.js';
import { listProducts } from './services/product-service.js';

// Every read of a list the products subgraph serves, EXPLAINed exactly as it is sent, on a
// catalog far past the 1,000 rows where a sequential scan stops being harmless. Autovacuum is
// not relied on (it may be off): the rows are planned for fresh, then after an ANALYZE that
// predates newer rows.

const logger = createLogger('products-plans', 'silent');
const viewer: Viewer | null = null;

let database: TestDatabase;
let db: Db;
const statements: Statement[] = [];
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
  // The same connections, with every statement recorded as sent.
  const recorded = drizzle({ client: db.$client, logger: { logQuery: (text, params) => statements.push({ sql: text, params }) } }) as Db;
  ctx = createContext(recorded, { viewer, requestId: 'plans', logger });
  await insertProducts(1, 3000, 'Catalog item');
  await db.execute(sql`
    insert into products (sku, name, description, price_amount, price_currency, on_hand)
    values ('MUG-1', 'Enamel mug', 'Blue', 900, 'EUR', 3), ('MUG-2', 'Stoneware mug', null, 1200, 'EUR', 3)`);
});

afterAll(async () => {
  await db?.$client.end();
  await database?.drop();
});

/** The statements `read` sends, each with the scans of its plan. */
async function plansOf(read: () => Promise<unknown>) {
  statements.length = 0;
  await read();
  return Promise.all(statements.map(async (statement) => ({ statement, scans: await planScans(db.$client, statement) })));
}

async function secondPageCursor() {
  const page = await listProducts(ctx, { first: 20 });
  return page.pageInfo.endCursor!;
}

interface Read {
  name: string;
  read: () => Promise<unknown>;
  /** Index names, or `<node type> on <index>` where how it is read matters. */
  uses: string[];
  /** The only table the statements may touch, when it is not the products table. */
  touchesOnly?: string;
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
      const after = await secondPageCursor();
      statements.length = 0;
      return listProducts(ctx, { first: 20, after });
    },
    uses: ['Index Scan on products_catalog_order_idx'],
  },
  {
    name: 'the catalog totalCount',
    read: async () => {
      const page = await listProducts(ctx, { first: 1 });
      statements.length = 0;
      return page.totalCount();
    },
    uses: [],
    touchesOnly: 'row_counts',
  },
  { name: 'a search', read: () => listProducts(ctx, { first: 20, search: 'mug' }), uses: ['Bitmap Index Scan on products_search_idx'] },
  { name: 'a search for a sku', read: () => listProducts(ctx, { first: 20, search: 'PLAN-42' }), uses: ['Bitmap Index Scan on products_search_idx'] },
  {
    name: 'a search totalCount',
    read: async () => {
      const page = await listProducts(ctx, { first: 20, search: 'lantern' });
      statements.length = 0;
      return page.totalCount();
    },
    uses: ['Bitmap Index Scan on products_search_idx'],
  },
  {
    name: 'products by id (entity references)',
    read: async () => {
      const page = await listProducts(ctx, { first: 20 });
      const { loaders } = createContext(ctx.db, { viewer, requestId: 'plans', logger });
      statements.length = 0;
      return Promise.all(page.edges.map((edge) => loaders.productById.load(edge.node.id)));
    },
    uses: ['products_pkey'],
  },
];

/**
 * `analyzed`: the planner has statistics, older than some rows. Without any, it guesses that 0.5 %
 * of products are live (`deleted_at is null`) and may read the catalog's index as a bitmap and
 * sort the few rows it expects; the index is still the one read, which is all that is checked then.
 */
function checkEveryRead(analyzed: boolean) {
  it.each(reads)('$name uses its index and scans no large table', async ({ read, uses, touchesOnly }) => {
    const plans = await plansOf(read);
    expect(plans.length).toBeGreaterThan(0);
    for (const { statement, scans } of plans) {
      expect(await largeSequentialScans(db.$client, scans), statement.sql).toEqual([]);
    }
    const scans = plans.flatMap((plan) => plan.scans);
    const seen = scans.flatMap((scan) => (scan.index ? [scan.index, `${scan.nodeType} on ${scan.index}`] : []));
    const wanted = analyzed ? uses : uses.map((use) => use.replace(/^.* on /, ''));
    for (const index of wanted) expect(seen, JSON.stringify(plans)).toContain(index);
    if (touchesOnly) {
      for (const scan of scans) expect(scan.relation ?? scan.index).toMatch(new RegExp(`^${touchesOnly}`));
    }
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
