import { createDb, createLogger } from '@shopgraph/common';
import { addJob, jobIds } from '@shopgraph/queues';
import { waitFor } from '@shopgraph/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './env.js';
import { startExpirySweep } from './expiry-sweep.js';
import { CARDS, newCustomer, startCheckoutHarness, type CheckoutHarness, type Order } from './fixtures/checkout-harness.js';

// The reservation outlives every test: an order's reservation runs out only when a test moves the
// order's last status change into the past, as the clock would, and restarts the workers, whose
// expiry sweep reads the awaiting orders when it starts.
const RESERVATION_TTL_MS = 15 * 60 * 1000;
let h: CheckoutHarness;

beforeAll(async () => {
  h = await startCheckoutHarness({ reservationTtlMs: RESERVATION_TTL_MS });
  await h.startWorkers();
});

afterAll(async () => {
  await h?.close();
});

const settled = (order: Order) => order.status !== 'PENDING';

/** An order of `quantity` units of a new product of 4, reserved and awaiting payment. */
async function awaitingOrder(quantity = 1) {
  const productId = await h.createProduct(4);
  const customer = newCustomer();
  const placed = await h.placeOrder(customer, [{ productId, quantity }]);
  expect((await h.waitForOrder(customer, placed.id, settled)).status).toBe('AWAITING_PAYMENT');
  await h.reservationDone(placed.id);
  return { productId, customer, orderId: placed.id };
}

/** Moves the order's last status change `ms` into the past; answers when it is due now, on the database clock. */
async function changedAgo(orderId: string, ms: number): Promise<Date> {
  const { rows } = await h.sql.orders.query<{ due: Date }>(
    `update orders.orders set updated_at = updated_at - make_interval(secs => $2::float8 / 1000) where id = $1
     returning updated_at + make_interval(secs => $3::float8 / 1000) as due`,
    [orderId, ms, RESERVATION_TTL_MS],
  );
  return rows[0]!.due;
}

async function restartWorkers() {
  await h.stopWorkers();
  await h.startWorkers();
}

describe('reservation expiry', () => {
  it('expires an order not paid within RESERVATION_TTL_MS when its time comes, and releases its stock', async () => {
    const { productId, customer, orderId } = await awaitingOrder(3);
    expect(await h.stock(productId)).toEqual({ onHand: 4, reserved: 3 });
    // Nothing is scheduled per order: the sweep finds it when it is due.
    expect(await h.queues.expiries.getJob(jobIds.expireOrder(orderId, 1))).toBeUndefined();

    // Due in two seconds: the sweep reads it at start and sleeps until then.
    const due = await changedAgo(orderId, RESERVATION_TTL_MS - 2000);
    await restartWorkers();
    await h.waitForJob('expiries', jobIds.expireOrder(orderId, 1));
    expect(await h.order(customer, orderId)).toMatchObject({ status: 'EXPIRED', statusReason: 'Not paid within 15 minutes: the reservation ran out.' });
    const { rows } = await h.sql.orders.query<{ at: Date }>(
      "select created_at as at from orders.order_status_history where order_id = $1 and to_status = 'EXPIRED'",
      [orderId],
    );
    expect(rows[0]!.at.getTime()).toBeGreaterThanOrEqual(due.getTime());
    expect(await h.stock(productId)).toEqual({ onHand: 4, reserved: 0 });
    expect(await h.availableStock(productId)).toBe(4);
    await expect(h.payOrder(customer, orderId, CARDS.succeeds)).rejects.toThrow(/CONFLICT/);
    expect((await h.history(orderId)).map((row) => row.to)).toEqual(['PENDING', 'AWAITING_PAYMENT', 'EXPIRED']);
  });

  it('leaves an order paid in time alone when its reservation would have run out', async () => {
    const paid = await awaitingOrder();
    const payment = await h.payOrder(paid.customer, paid.orderId, CARDS.succeeds);
    await h.waitForOrder(paid.customer, paid.orderId, (order) => order.status === 'PAID');
    await h.chargeDone(payment.id);
    // An unpaid order beside it, as long past its time: once it expired, the sweep has read both.
    const unpaid = await awaitingOrder();
    await changedAgo(paid.orderId, RESERVATION_TTL_MS + 60_000);
    await changedAgo(unpaid.orderId, RESERVATION_TTL_MS + 60_000);

    await restartWorkers();
    await h.waitForJob('expiries', jobIds.expireOrder(unpaid.orderId, 1));
    expect((await h.order(unpaid.customer, unpaid.orderId)).status).toBe('EXPIRED');
    expect(await h.queues.expiries.getJob(jobIds.expireOrder(paid.orderId, 1))).toBeUndefined();
    expect((await h.order(paid.customer, paid.orderId)).status).toBe('PAID');
    expect(await h.stock(paid.productId)).toEqual({ onHand: 3, reserved: 0 });
    expect((await h.history(paid.orderId)).map((row) => row.to)).toEqual(['PENDING', 'AWAITING_PAYMENT', 'PAID']);
  });

  it('adds the expiries of more due orders than one read answers, one read after another', async () => {
    const orders = [await awaitingOrder(), await awaitingOrder(), await awaitingOrder()];
    for (const { orderId } of orders) await changedAgo(orderId, RESERVATION_TTL_MS + 60_000);
    // This sweep alone, reading one order at a time; no worker runs the jobs it adds.
    await h.stopWorkers();
    const config = loadConfig(h.env);
    const ordersDb = createDb({ url: config.databaseUrls.orders, subgraph: 'orders', logger: createLogger('expiry-test', 'silent'), max: 1 });
    const sweep = startExpirySweep({ db: () => ordersDb, config, logger: createLogger('expiry-test', 'silent'), enqueue: (request) => addJob(h.queues, request) }, 1);
    try {
      const states = () => Promise.all(orders.map(({ orderId }) => h.queues.expiries.getJobState(jobIds.expireOrder(orderId, 1))));
      await waitFor(async () => (await states()).every((state) => state === 'waiting'), { what: 'an expiry for each order' });
    } finally {
      await sweep.stop();
      await ordersDb.$client.end();
    }
    await h.startWorkers();
    for (const { orderId } of orders) await h.waitForJob('expiries', jobIds.expireOrder(orderId, 1));
  });
});
