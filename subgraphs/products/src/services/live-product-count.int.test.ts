import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDb, createLogger, migrateSubgraph, prepareSubgraphDatabase, type Db, type Viewer } from '@shopgraph/common';
import { createTestDatabase, type TestDatabase } from '@shopgraph/testing';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext } from '../context.js';
import { products } from '../db/schema.js';
import { migrationsFolder } from '../server.js';
import { createProduct, deleteProduct, listProducts } from './product-service.js';

// The catalog's totalCount is kept by the triggers of drizzle/0003_live_product_count.sql, not
// counted per request: it must stay exact whoever writes, however many write at once.

const logger = createLogger('test', 'silent');
const admin: Viewer = { id: '00000000-0000-4000-8000-000000000001', role: 'ADMIN' };

let database: TestDatabase;
let db: Db;
const context = () => createContext(db, { viewer: admin, requestId: 'count', logger });

const totalCount = async () => (await listProducts(context(), { first: 1 })).totalCount();
const liveRows = async () =>
  (await db.execute<{ live: number }>(sql`select count(*)::int as live from ${products} where ${products.deletedAt} is null`)).rows[0]!.live;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb({ url: database.url, subgraph: 'products', logger, max: 20 });
  await prepareSubgraphDatabase(database.url, db, 'products', migrationsFolder);
});

afterAll(async () => {
  await db?.$client.end();
  await database?.drop();
});

describe('the catalog totalCount', () => {
  it('stays exact under concurrent creates, deletes and rolled-back inserts', async () => {
    const before = await totalCount();
    const doomed = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        createProduct(context(), { sku: `DOOMED-${i}`, name: 'Doomed', price: { amount: 100, currency: 'EUR' }, stock: 1 }),
      ),
    );
    const rolledBack = new Error('rolled back on purpose');
    const outcomes = await Promise.allSettled([
      ...Array.from({ length: 60 }, (_, i) =>
        createProduct(context(), { sku: `RACE-${i}`, name: 'Racer', price: { amount: 100, currency: 'EUR' }, stock: 1 }),
      ),
      ...doomed.map((product) => deleteProduct(context(), product.id)),
      ...Array.from({ length: 20 }, (_, i) =>
        db.transaction(async (tx) => {
          await tx.insert(products).values({ sku: `GONE-${i}`, name: 'Never', priceAmount: 1, priceCurrency: 'EUR' });
          throw rolledBack;
        }),
      ),
    ]);
    const failures = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
    expect(failures).toHaveLength(20);
    expect(failures.every((reason) => reason === rolledBack)).toBe(true);

    expect(await totalCount()).toBe(before + 60);
    expect(await totalCount()).toBe(await liveRows());
  });

  it('follows writes made in SQL by anyone: bulk inserts, soft deletes and restores, deletes, truncation', async () => {
    await db.execute(sql`
      insert into products (sku, name, price_amount, price_currency, deleted_at)
      select 'BULK-' || i, 'Bulk', 1, 'EUR', case when i % 4 = 0 then now() end from generate_series(1, 400) as i`);
    expect(await totalCount()).toBe(await liveRows());
    await db.execute(sql`update products set deleted_at = now() where sku like 'BULK-%' and deleted_at is null and sku like '%1'`);
    await db.execute(sql`update products set deleted_at = null where sku in ('BULK-4', 'BULK-8')`);
    // An update that changes no liveness (checkout's stock updates) leaves the count alone.
    await db.execute(sql`update products set on_hand = on_hand + 1 where sku like 'BULK-%'`);
    expect(await totalCount()).toBe(await liveRows());
    await db.execute(sql`delete from products where sku like 'BULK-1%'`);
    expect(await totalCount()).toBe(await liveRows());
    await db.execute(sql`truncate products cascade`);
    expect(await totalCount()).toBe(0);
    await createProduct(context(), { sku: 'AFTER-1', name: 'After', price: { amount: 1, currency: 'EUR' }, stock: 1 });
    expect(await totalCount()).toBe(1);
  });

  it('starts from the products a catalog already had when the migration arrives', async () => {
    const existing = await createTestDatabase();
    const folder = await mkdtemp(path.join(tmpdir(), 'products-migrations-'));
    const older = createDb({ url: existing.url, subgraph: 'products', logger, max: 2 });
    try {
      // The catalog as it was before drizzle/0002 and 0003: only the first two migrations.
      await cp(migrationsFolder, folder, { recursive: true });
      const journalPath = path.join(folder, 'meta', '_journal.json');
      const journal = JSON.parse(await readFile(journalPath, 'utf8')) as { entries: { tag: string }[] };
      journal.entries = journal.entries.filter((entry) => entry.tag < '0002');
      await writeFile(journalPath, JSON.stringify(journal));
      await prepareSubgraphDatabase(existing.url, older, 'products', folder);
      await older.execute(sql`
        insert into products (sku, name, price_amount, price_currency, deleted_at)
        select 'OLD-' || i, 'Old', 1, 'EUR', case when i % 5 = 0 then now() end from generate_series(1, 50) as i`);

      await migrateSubgraph(older, 'products', migrationsFolder);
      const [kept] = (await older.execute<{ total: number }>(sql`select sum(count)::int as total from row_counts where name = 'live_products'`)).rows;
      expect(kept!.total).toBe(40);
      const { rows: indexes } = await older.execute<{ indexdef: string }>(
        sql`select indexdef from pg_indexes where indexname in ('products_catalog_order_idx', 'products_search_idx') order by indexname`,
      );
      expect(indexes.map((index) => index.indexdef)).toEqual([
        expect.stringContaining('(created_at DESC, id DESC) WHERE (deleted_at IS NULL)'),
        expect.stringContaining("WITH (fastupdate='false')"),
      ]);
    } finally {
      await older.$client.end();
      await existing.drop();
      await rm(folder, { recursive: true, force: true });
    }
  });
});
