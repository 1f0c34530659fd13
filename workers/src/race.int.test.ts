import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newCustomer, startCheckoutHarness, type CheckoutHarness } from './fixtures/checkout-harness.js';

let h: CheckoutHarness;
let workersUrl: string;

beforeAll(async () => {
  h = await startCheckoutHarness();
  workersUrl = await (await h.startWorkers()).listen(0);
});

afterAll(async () => {
  await h?.close();
});

/** Samples the product's stock until `stop` settles; resolves with every sample. */
async function sampleStock(productId: string, stop: Promise<unknown>) {
  let done = false;
  const finish = () => {
    done = true;
  };
  stop.then(finish, finish);
  const samples: { onHand: number; reserved: number }[] = [];
  // One sample after another, each as soon as the last one answered.
  while (!done) samples.push(await h.stock(productId));
  return samples;
}

describe('concurrent orders on scarce stock', () => {
  it('reserves exactly the 10 units there are among 60 concurrent orders, and rejects the rest naming the product', async () => {
    const productId = await h.createProduct(10);
    const { rows } = await h.sql.products.query<{ name: string }>('select name from products.products where id = $1', [productId]);
    const customers = Array.from({ length: 60 }, () => newCustomer());

    const race = (async () => {
      const placed = await Promise.all(customers.map((customer) => h.placeOrder(customer, [{ productId, quantity: 1 }])));
      expect(placed.map((order) => order.status)).toEqual(customers.map(() => 'PENDING'));
      await h.waitWhileAny(placed.map((order) => order.id), 'PENDING');
      return Promise.all(placed.map((order, i) => h.order(customers[i]!, order.id)));
    })();
    const samples = await sampleStock(productId, race);
    const orders = await race;

    const rejected = orders.filter((order) => order.status === 'REJECTED');
    expect(orders.filter((order) => order.status === 'AWAITING_PAYMENT')).toHaveLength(10);
    expect(rejected).toHaveLength(50);
    for (const order of rejected) expect(order.statusReason).toContain(rows[0]!.name);
    expect(await h.stock(productId)).toEqual({ onHand: 10, reserved: 10 });
    expect(await h.availableStock(productId)).toBe(0);
    // Never oversold at any moment of the race.
    expect(samples.length).toBeGreaterThan(0);
    for (const sample of samples) {
      expect(sample.reserved).toBeGreaterThanOrEqual(0);
      expect(sample.reserved).toBeLessThanOrEqual(sample.onHand);
    }
  });

  it('never deadlocks on orders that lock the same products in opposite orders, and sells each at most once', async () => {
    const [a, b] = [await h.createProduct(15), await h.createProduct(15)];
    const customers = Array.from({ length: 40 }, () => newCustomer());
    const placed = await Promise.all(
      customers.map((customer, i) =>
        h.placeOrder(customer, i % 2 === 0 ? [{ productId: a!, quantity: 1 }, { productId: b!, quantity: 1 }] : [{ productId: b!, quantity: 1 }, { productId: a!, quantity: 1 }]),
      ),
    );
    await h.waitWhileAny(placed.map((order) => order.id), 'PENDING');
    const orders = await Promise.all(placed.map((order, i) => h.order(customers[i]!, order.id)));
    expect(orders.filter((order) => order.status === 'AWAITING_PAYMENT')).toHaveLength(15);
    expect(orders.filter((order) => order.status === 'REJECTED')).toHaveLength(25);
    expect(await h.stock(a!)).toEqual({ onHand: 15, reserved: 15 });
    expect(await h.stock(b!)).toEqual({ onHand: 15, reserved: 15 });
    // Every reservation ran once, by the relay or by BullMQ: a deadlock would have failed an attempt and retried it.
    const attempts = (await (await fetch(`${workersUrl}/metrics`)).text()).split('\n').filter((line) => line.startsWith('shopgraph_job_attempts_total{'));
    expect(attempts.filter((line) => line.includes('outcome="retrying"') || line.includes('outcome="exhausted"'))).toEqual([]);
    const completed = attempts.filter((line) => line.includes('name="reserve-stock"') && line.includes('outcome="completed"'));
    // 60 orders of the race before, 40 of this one.
    expect(completed.reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0)).toBe(100);
  });
});
