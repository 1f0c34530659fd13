import { randomUUID } from 'node:crypto';
import { createDb, createLogger, prepareSubgraphDatabase, type Db } from '@shopgraph/common';
import { createTestDatabase, type TestDatabase } from '@shopgraph/testing';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { products, stockReservations } from '../db/schema.js';
import { migrationsFolder } from '../server.js';
import { commitReservations, heldReservations, releaseReservation, reserveStock, restoreStock } from './inventory-service.js';

let database: TestDatabase;
let db: Db;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb({ url: database.url, subgraph: 'products', logger: createLogger('test', 'silent'), max: 20 });
  await prepareSubgraphDatabase(database.url, db, 'products', migrationsFolder);
});

afterAll(async () => {
  await db?.$client.end();
  await database?.drop();
});

async function newProduct(onHand: number, name = 'Widget') {
  const [row] = await db
    .insert(products)
    .values({ sku: `W-${randomUUID().slice(0, 8)}`, name, priceAmount: 500, priceCurrency: 'EUR', onHand })
    .returning();
  return row!;
}

async function stockOf(id: string) {
  const [row] = await db.select({ onHand: products.onHand, reserved: products.reserved }).from(products).where(eq(products.id, id));
  return row!;
}

describe('reserveStock', () => {
  it('reserves at most the stock under a race of 50 orders for stock 10', async () => {
    const product = await newProduct(10);
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        reserveStock(db, { orderId: randomUUID(), version: 1, items: [{ productId: product.id, quantity: 1 }] }),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(10);
    expect(results.filter((r) => !r.ok)).toHaveLength(40);
    expect(await stockOf(product.id)).toEqual({ onHand: 10, reserved: 10 });
  });

  it('reserves all lines or none, and names the product that is short', async () => {
    const plenty = await newProduct(100, 'Plenty');
    const scarce = await newProduct(1, 'Scarce');
    const result = await reserveStock(db, {
      orderId: randomUUID(),
      version: 1,
      items: [
        { productId: plenty.id, quantity: 5 },
        { productId: scarce.id, quantity: 2 },
      ],
    });
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('Scarce'), moved: [] });
    expect(await stockOf(plenty.id)).toEqual({ onHand: 100, reserved: 0 });
    expect(await stockOf(scarce.id)).toEqual({ onHand: 1, reserved: 0 });
  });

  it('answers a repeated delivery the same way and reserves once', async () => {
    const product = await newProduct(5);
    const request = { orderId: randomUUID(), version: 1, items: [{ productId: product.id, quantity: 2 }] };
    const first = await reserveStock(db, request);
    const again = await Promise.all([reserveStock(db, request), reserveStock(db, request)]);
    expect(again).toEqual([first, first]);
    expect(first).toMatchObject({ ok: true, lines: [{ productId: product.id, quantity: 2, name: 'Widget', unitPrice: { amount: 500, currency: 'EUR' } }] });
    expect(await stockOf(product.id)).toEqual({ onHand: 5, reserved: 2 });
  });

  it('reserves once when the first deliveries of an order arrive together', async () => {
    const product = await newProduct(5);
    const request = { orderId: randomUUID(), version: 1, items: [{ productId: product.id, quantity: 2 }] };
    const results = await Promise.all(Array.from({ length: 4 }, () => reserveStock(db, request)));
    expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(await stockOf(product.id)).toEqual({ onHand: 5, reserved: 2 });
  });

  it('re-reserves only the difference for a new version and ignores an older one', async () => {
    const a = await newProduct(5);
    const b = await newProduct(5);
    const orderId = randomUUID();
    await reserveStock(db, { orderId, version: 1, items: [{ productId: a.id, quantity: 4 }] });
    const v2 = await reserveStock(db, { orderId, version: 2, items: [{ productId: a.id, quantity: 5 }, { productId: b.id, quantity: 1 }] });
    expect(v2.ok).toBe(true);
    expect(await stockOf(a.id)).toEqual({ onHand: 5, reserved: 5 });
    expect(await stockOf(b.id)).toEqual({ onHand: 5, reserved: 1 });
    const stale = await reserveStock(db, { orderId, version: 1, items: [{ productId: a.id, quantity: 4 }] });
    expect(stale).toMatchObject({ ok: false, moved: [] });
    expect(await stockOf(a.id)).toEqual({ onHand: 5, reserved: 5 });
  });

  it('names every product whose available stock moved, those a new version dropped included', async () => {
    const [kept, grown, dropped] = await Promise.all([newProduct(5), newProduct(5), newProduct(5)]);
    const orderId = randomUUID();
    const v1 = await reserveStock(db, { orderId, version: 1, items: [{ productId: kept.id, quantity: 1 }, { productId: grown.id, quantity: 1 }, { productId: dropped.id, quantity: 2 }] });
    expect(v1.moved.sort()).toEqual([kept.id, grown.id, dropped.id].sort());
    const v2 = await reserveStock(db, { orderId, version: 2, items: [{ productId: kept.id, quantity: 1 }, { productId: grown.id, quantity: 3 }] });
    expect(v2.moved.sort()).toEqual([grown.id, dropped.id].sort());
    expect(await stockOf(dropped.id)).toEqual({ onHand: 5, reserved: 0 });
    // A repeated delivery names what the order holds: its first run may have died before the purge.
    expect((await reserveStock(db, { orderId, version: 2, items: [{ productId: kept.id, quantity: 1 }, { productId: grown.id, quantity: 3 }] })).moved.sort()).toEqual([kept.id, grown.id].sort());
  });

  it('releases what the order held when a new version cannot be reserved', async () => {
    const product = await newProduct(3);
    const orderId = randomUUID();
    await reserveStock(db, { orderId, version: 1, items: [{ productId: product.id, quantity: 2 }] });
    const v2 = await reserveStock(db, { orderId, version: 2, items: [{ productId: product.id, quantity: 4 }] });
    expect(v2.ok).toBe(false);
    expect(await stockOf(product.id)).toEqual({ onHand: 3, reserved: 0 });
  });

  it('refuses a deleted product', async () => {
    const product = await newProduct(3, 'Retired');
    await db.update(products).set({ deletedAt: sql`now()` }).where(eq(products.id, product.id));
    const result = await reserveStock(db, { orderId: randomUUID(), version: 1, items: [{ productId: product.id, quantity: 1 }] });
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('no longer sold'), moved: [] });
  });
});

describe('release, commit, restore', () => {
  it('moves units once per step, however often a step is delivered', async () => {
    const product = await newProduct(10);
    const sold = randomUUID();
    const dropped = randomUUID();
    await reserveStock(db, { orderId: sold, version: 1, items: [{ productId: product.id, quantity: 3 }] });
    await reserveStock(db, { orderId: dropped, version: 1, items: [{ productId: product.id, quantity: 2 }] });
    expect(await stockOf(product.id)).toEqual({ onHand: 10, reserved: 5 });

    expect(await Promise.all([releaseReservation(db, dropped), releaseReservation(db, dropped)])).toEqual(
      expect.arrayContaining([[product.id], []]),
    );
    expect(await stockOf(product.id)).toEqual({ onHand: 10, reserved: 3 });

    // The dropped order's reservation is no longer held: a commit leaves it alone.
    expect(await Promise.all([commitReservations(db, [sold, dropped]), commitReservations(db, [dropped, sold])])).toEqual(
      expect.arrayContaining([[sold], []]),
    );
    expect(await releaseReservation(db, sold)).toEqual([]);
    expect(await stockOf(product.id)).toEqual({ onHand: 7, reserved: 0 });

    expect(await restoreStock(db, sold)).toEqual([product.id]);
    expect(await restoreStock(db, sold)).toEqual([]);
    expect(await stockOf(product.id)).toEqual({ onHand: 10, reserved: 0 });
    const [reservation] = await db.select().from(stockReservations).where(eq(stockReservations.orderId, sold));
    expect(reservation!.status).toBe('RESTORED');
  });

  it('commits many paid orders in one transaction, each product by the sum of its lines', async () => {
    const [a, b] = [await newProduct(10), await newProduct(10)];
    const orders = [randomUUID(), randomUUID(), randomUUID()];
    await reserveStock(db, { orderId: orders[0]!, version: 1, items: [{ productId: a.id, quantity: 1 }, { productId: b.id, quantity: 2 }] });
    await reserveStock(db, { orderId: orders[1]!, version: 1, items: [{ productId: b.id, quantity: 3 }] });
    await reserveStock(db, { orderId: orders[2]!, version: 1, items: [{ productId: a.id, quantity: 4 }] });

    expect((await commitReservations(db, [...orders, randomUUID()])).sort()).toEqual([...orders].sort());
    expect(await stockOf(a.id)).toEqual({ onHand: 5, reserved: 0 });
    expect(await stockOf(b.id)).toEqual({ onHand: 5, reserved: 0 });
    expect(await commitReservations(db, orders)).toEqual([]);
  });

  it('restores a paid order whose units the settler had not committed yet, and a later commit leaves them', async () => {
    const product = await newProduct(10);
    const order = randomUUID();
    await reserveStock(db, { orderId: order, version: 1, items: [{ productId: product.id, quantity: 4 }] });

    expect(await restoreStock(db, order)).toEqual([product.id]);
    expect(await commitReservations(db, [order])).toEqual([]);
    expect(await stockOf(product.id)).toEqual({ onHand: 10, reserved: 0 });
    const [reservation] = await db.select().from(stockReservations).where(eq(stockReservations.orderId, order));
    expect(reservation!.status).toBe('RESTORED');
  });

  it('a restore racing the commit of its order gives the units back once, whichever runs first', async () => {
    const product = await newProduct(10);
    const order = randomUUID();
    await reserveStock(db, { orderId: order, version: 1, items: [{ productId: product.id, quantity: 4 }] });

    await Promise.all([commitReservations(db, [order]), restoreStock(db, order)]);
    expect(await stockOf(product.id)).toEqual({ onHand: 10, reserved: 0 });
  });
});

describe('heldReservations', () => {
  it('pages through the held reservations by order id, and none other', async () => {
    const product = await newProduct(100);
    const held: string[] = Array.from({ length: 5 }, () => randomUUID()).sort();
    for (const orderId of held) await reserveStock(db, { orderId, version: 1, items: [{ productId: product.id, quantity: 1 }] });
    await commitReservations(db, [held[1]!]);
    await releaseReservation(db, held[3]!);
    const stillHeld = held.filter((_, i) => i !== 1 && i !== 3);

    // Other tests of this file hold stock too: only this test's orders are compared.
    const mine = (ids: string[]) => ids.filter((id) => held.includes(id));
    const all: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await heldReservations(db, { limit: 2, ...(after ? { after } : {}) });
      all.push(...page);
      if (page.length < 2) break;
      after = page.at(-1);
    }
    expect(mine(all)).toEqual(stillHeld);
  });
});

