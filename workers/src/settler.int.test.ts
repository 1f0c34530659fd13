import { createDb, createLogger, type Db } from '@shopgraph/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type WorkerSubgraph } from './env.js';
import { CARDS, newCustomer, startCheckoutHarness, type CheckoutHarness } from './fixtures/checkout-harness.js';
import { startSettler } from './settler.js';

let h: CheckoutHarness;

beforeAll(async () => {
  h = await startCheckoutHarness();
}, 120_000);

afterAll(async () => {
  await h?.close();
});

/** A window no test outlasts: what the settler is handed is committed only by its stop or by a sweep. */
const HELD_BACK = { SETTLE_WINDOW_MS: String(60 * 60 * 1000) };

/** Orders of `quantity` units each, placed, paid and their charge jobs finished. */
async function paidOrders(count: number, productId: string, quantity = 2): Promise<string[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const customer = newCustomer();
      const order = await h.placeOrder(customer, [{ productId, quantity }]);
      await h.reservationDone(order.id);
      const payment = await h.payOrder(customer, order.id, CARDS.succeeds);
      await h.waitForOrder(customer, order.id, (o) => o.status === 'PAID');
      await h.chargeDone(payment.id);
      return order.id;
    }),
  );
}

/** Each order's reservation status and the transaction that last wrote it. */
async function reservations(orderIds: string[]): Promise<{ status: string; xmin: string }[]> {
  const { rows } = await h.sql.products.query<{ status: string; xmin: string }>(
    'select status, xmin::text as xmin from products.stock_reservations where order_id = any($1::uuid[])',
    [orderIds],
  );
  return rows;
}

describe('settling paid orders', () => {
  it('commits the paid orders it was handed in one transaction, at the latest when it stops', async () => {
    await h.startWorkers(undefined, HELD_BACK);
    const productId = await h.createProduct(10);
    const orderIds = await paidOrders(3, productId);
    // Handed over and still held: the window is open, and the stock shown is the same either way.
    expect((await reservations(orderIds)).map((row) => row.status)).toEqual(['HELD', 'HELD', 'HELD']);
    expect(await h.stock(productId)).toEqual({ onHand: 10, reserved: 6 });
    expect(await h.availableStock(productId)).toBe(4);

    await h.stopWorkers();
    const settled = await reservations(orderIds);
    expect(settled.map((row) => row.status)).toEqual(['COMMITTED', 'COMMITTED', 'COMMITTED']);
    expect(new Set(settled.map((row) => row.xmin)).size).toBe(1);
    expect(await h.stock(productId)).toEqual({ onHand: 4, reserved: 0 });
  });

  it('commits, as it starts, the paid orders a replica killed before its window ended had been handed', { timeout: 60_000 }, async () => {
    const killed = await h.startWorkersProcess(HELD_BACK);
    const productId = await h.createProduct(10);
    const [orderId] = await paidOrders(1, productId);
    await killed.kill();
    expect((await reservations([orderId!])).map((row) => row.status)).toEqual(['HELD']);

    await h.startWorkers();
    await h.settled([orderId!]);
    expect(await h.stock(productId)).toEqual({ onHand: 8, reserved: 0 });
    await h.stopWorkers();
  });

  it('keeps the orders it holds while the products database fails, and commits them once it answers', { timeout: 60_000 }, async () => {
    // A paid order whose stock a killed replica left held.
    const killed = await h.startWorkersProcess(HELD_BACK);
    const productId = await h.createProduct(10);
    const [orderId] = await paidOrders(1, productId);
    await killed.kill();

    const config = loadConfig(h.env);
    const logger = createLogger('settler-test', 'silent');
    const dbs = new Map<WorkerSubgraph, Db>();
    const db = (subgraph: WorkerSubgraph) => {
      if (!dbs.has(subgraph)) dbs.set(subgraph, createDb({ url: config.databaseUrls[subgraph], subgraph, logger, max: 2 }));
      return dbs.get(subgraph)!;
    };
    // Products' transactions fail until the test lets them through; the first failure is the handshake.
    let failing = true;
    let failed = () => {};
    const firstFailure = new Promise<void>((resolve) => (failed = resolve));
    const flaky = new Proxy(db('products'), {
      get(target, property, receiver) {
        if (property !== 'transaction' || !failing) return Reflect.get(target, property, receiver);
        return () => {
          failed();
          return Promise.reject(new Error('the products database is away'));
        };
      },
    });
    const settler = startSettler({ config, logger, db: (subgraph) => (subgraph === 'products' ? flaky : db(subgraph)) });
    try {
      await firstFailure;
      expect((await reservations([orderId!])).map((row) => row.status)).toEqual(['HELD']);
      failing = false;
      await h.settled([orderId!]);
      expect(await h.stock(productId)).toEqual({ onHand: 8, reserved: 0 });
    } finally {
      await settler.stop();
      await Promise.all([...dbs.values()].map((pool) => pool.$client.end()));
    }
  });
});

