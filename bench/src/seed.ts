import { createHash } from 'node:crypto';
import { createDb, createLogger, prepareSubgraphDatabase, type Db, type SubgraphName } from '@shopgraph/common';
import { migrationsFolder as ordersMigrations } from '@shopgraph/orders';
import { migrationsFolder as paymentsMigrations } from '@shopgraph/payments';
import { migrationsFolder as productsMigrations } from '@shopgraph/products';
import { migrationsFolder as usersMigrations } from '@shopgraph/users';
import { sql } from 'drizzle-orm';
import type { SeedSize } from './options.js';

/**
 * The benchmark's data set, generated in SQL so 20,000 orders take seconds. Every id is derived
 * from a kind and a number — the same formula in SQL and in TypeScript — so each subgraph seeds
 * its own tables through its own role and the references still meet, and the benchmark knows
 * every id without asking.
 */

/** A version-5-shaped UUID from md5('bench:<kind>:<n>'): valid for the subgraphs' id checks. */
export function benchId(kind: 'product' | 'user' | 'order' | 'payment', n: number): string {
  const hex = createHash('md5').update(`bench:${kind}:${n}`).digest('hex').split('');
  hex[12] = '5';
  hex[16] = '8';
  const h = hex.join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const idSql = (kind: string, n: string) =>
  `(overlay(overlay(md5('bench:${kind}:' || (${n})) placing '5' from 13) placing '8' from 17))::uuid`;

/** Price in cents of product n, from 1.00 to 99.99. */
const priceSql = (n: string) => `(100 + ((${n}) * 7919) % 9900)`;

/**
 * The items of order i: 1 to 4 distinct products (spread over the catalog a quarter apart),
 * 1 to 3 units each. Orders and payments both derive totals from it.
 */
const itemsSql = (i: string, products: number) =>
  `select 1 + ((${i}) * 7919 % ${products} + j * ${Math.floor(products / 4)}) % ${products} as p, 1 + ((${i}) + j) % 3 as q
   from generate_series(0, (${i}) % 4) as j`;

/**
 * Status of seeded order i: every 20th CANCELLED, the next EXPIRED, the rest PAID — final states
 * that hold no stock, so the inventory needs no reservations for them.
 */
const statusSql = (i: string) => `case when (${i}) % 20 = 0 then 'CANCELLED' when (${i}) % 20 = 1 then 'EXPIRED' else 'PAID' end`;

/** The user who placed order i: customers take turns, so each has orders / users of them. */
const ownerSql = (i: string, users: number) => idSql('user', `1 + ((${i}) - 1) % ${users}`);

async function seedProducts(db: Db, size: SeedSize) {
  // Products 1..hotProducts are the newest and have little stock: the checkout's contested ones.
  await db.execute(
    sql.raw(`
      insert into products (id, sku, name, description, price_amount, price_currency, on_hand, created_at, updated_at)
      select ${idSql('product', 'i')}, 'BENCH-' || lpad(i::text, 6, '0'), 'Bench product ' || i,
             'Product number ' || i || ' of the benchmark catalog: sturdy, useful and fairly priced.',
             ${priceSql('i')}, 'EUR', case when i <= ${size.hotProducts} then ${size.hotStock} else 1000000 end,
             now() - i * interval '1 second', now() - i * interval '1 second'
      from generate_series(1, ${size.products}) as i`),
  );
}

async function seedUsers(db: Db, size: SeedSize) {
  // The benchmark mints its customers' bearer tokens: no password would verify against this hash.
  await db.execute(
    sql.raw(`
      insert into users (id, email, name, role, password_hash)
      select ${idSql('user', 'i')}, 'customer' || i || '@bench.shopgraph.local', 'Bench customer ' || i, 'CUSTOMER', 'none'
      from generate_series(1, ${size.users}) as i`),
  );
}

async function seedOrders(db: Db, size: SeedSize) {
  await db.transaction(async (tx) => {
    await tx.execute(
      sql.raw(`
        insert into orders (id, user_id, status, status_reason, total_amount, total_currency, created_at, updated_at)
        select ${idSql('order', 'i')}, ${ownerSql('i', size.users)}, ${statusSql('i')},
               case when i % 20 = 1 then 'not paid within 15 minutes' end,
               (select sum(q * ${priceSql('p')}) from (${itemsSql('i', size.products)}) as items), 'EUR',
               now() - i * interval '1 minute', now() - i * interval '1 minute'
        from generate_series(1, ${size.orders}) as i`),
    );
    await tx.execute(
      sql.raw(`
        insert into order_items (order_id, product_id, quantity, product_name, unit_price_amount, unit_price_currency)
        select ${idSql('order', 'i')}, ${idSql('product', 'items.p')}, items.q, 'Bench product ' || items.p, ${priceSql('items.p')}, 'EUR'
        from generate_series(1, ${size.orders}) as i, lateral (${itemsSql('i', size.products)}) as items`),
    );
  });
}

async function seedPayments(db: Db, size: SeedSize) {
  // A SUCCEEDED payment for each PAID order; every tenth was first declined, so "the latest
  // attempt" has something to choose from.
  await db.execute(
    sql.raw(`
      insert into payments (id, order_id, user_id, amount, currency, status, failure_reason, card_last4, created_at, updated_at)
      select ${idSql('payment', 'i * 2 + attempt')}, ${idSql('order', 'i')}, ${ownerSql('i', size.users)},
             (select sum(q * ${priceSql('p')}) from (${itemsSql('i', size.products)}) as items), 'EUR',
             case when attempt = 1 then 'SUCCEEDED' else 'FAILED' end,
             case when attempt = 0 then 'card_declined' end, case when attempt = 1 then '4242' else '0002' end,
             now() - i * interval '1 minute' + attempt * interval '10 seconds', now() - i * interval '1 minute' + attempt * interval '10 seconds'
      from generate_series(1, ${size.orders}) as i, generate_series(0, 1) as attempt
      where ${statusSql('i')} = 'PAID' and (attempt = 1 or i % 10 = 0)`),
  );
}

const subgraphs: { name: SubgraphName; migrations: string; seed: (db: Db, size: SeedSize) => Promise<void> }[] = [
  { name: 'products', migrations: productsMigrations, seed: seedProducts },
  { name: 'users', migrations: usersMigrations, seed: seedUsers },
  { name: 'orders', migrations: ordersMigrations, seed: seedOrders },
  { name: 'payments', migrations: paymentsMigrations, seed: seedPayments },
];

/** Migrates every subgraph's schema in the (empty) database at `adminUrl` and seeds `size`. */
export async function seedBenchDatabase(adminUrl: string, size: SeedSize): Promise<void> {
  const logger = createLogger('bench-seed', 'warn');
  for (const subgraph of subgraphs) {
    const db = createDb({ url: adminUrl, subgraph: subgraph.name, logger, max: 1 });
    try {
      await prepareSubgraphDatabase(adminUrl, db, subgraph.name, subgraph.migrations);
      await subgraph.seed(db, size);
      // Fresh statistics, so the planner sees 20,000 orders rather than an empty table.
      await db.execute(sql.raw('analyze'));
    } finally {
      await db.$client.end();
    }
  }
}
