import { jobIds } from '@shopgraph/queues';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARDS, newCustomer, startCheckoutHarness, type CheckoutHarness, type Order } from './fixtures/checkout-harness.js';

// The reservation outlives every test: an expiry runs only when a test promotes its delayed job,
// which is what the clock would do RESERVATION_TTL_MS after the reservation.
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

/** The order's expiry, checked to be scheduled RESERVATION_TTL_MS after its reservation and still waiting for it. */
async function scheduledExpiry(orderId: string) {
  const job = (await h.queues.expiries.getJob(jobIds.expireOrder(orderId, 1)))!;
  expect(job).toMatchObject({ name: 'expire-order', data: { orderId, version: 1 }, delay: RESERVATION_TTL_MS });
  expect(await job.getState()).toBe('delayed');
  return job;
}

describe('reservation expiry', () => {
  it('expires an order not paid within RESERVATION_TTL_MS and releases its stock', async () => {
    const productId = await h.createProduct(4);
    const customer = newCustomer();
    const placed = await h.placeOrder(customer, [{ productId, quantity: 3 }]);
    expect((await h.waitForOrder(customer, placed.id, settled)).status).toBe('AWAITING_PAYMENT');
    await h.reservationDone(placed.id);
    expect(await h.stock(productId)).toEqual({ onHand: 4, reserved: 3 });
    const expiry = await scheduledExpiry(placed.id);
    expect((await h.order(customer, placed.id)).status).toBe('AWAITING_PAYMENT');

    // The reservation runs out.
    await expiry.promote();
    await h.waitForJob('expiries', jobIds.expireOrder(placed.id, 1));
    expect(await h.order(customer, placed.id)).toMatchObject({ status: 'EXPIRED', statusReason: 'Not paid within 15 minutes: the reservation ran out.' });
    expect(await h.stock(productId)).toEqual({ onHand: 4, reserved: 0 });
    expect(await h.availableStock(productId)).toBe(4);
    await expect(h.payOrder(customer, placed.id, CARDS.succeeds)).rejects.toThrow(/CONFLICT/);
    expect((await h.history(placed.id)).map((row) => row.to)).toEqual(['PENDING', 'AWAITING_PAYMENT', 'EXPIRED']);
  });

  it('leaves an order paid in time alone when its expiry comes', async () => {
    const productId = await h.createProduct(4);
    const customer = newCustomer();
    const placed = await h.placeOrder(customer, [{ productId, quantity: 1 }]);
    await h.waitForOrder(customer, placed.id, settled);
    await h.reservationDone(placed.id);
    const expiry = await scheduledExpiry(placed.id);
    const payment = await h.payOrder(customer, placed.id, CARDS.succeeds);
    await h.waitForOrder(customer, placed.id, (order) => order.status === 'PAID');
    await h.chargeDone(payment.id);

    await expiry.promote();
    await h.waitForJob('expiries', jobIds.expireOrder(placed.id, 1));
    expect((await h.queues.expiries.getJob(jobIds.expireOrder(placed.id, 1)))?.returnvalue).toEqual({ expired: false });
    expect((await h.order(customer, placed.id)).status).toBe('PAID');
    expect(await h.stock(productId)).toEqual({ onHand: 3, reserved: 0 });
    expect((await h.history(placed.id)).map((row) => row.to)).toEqual(['PENDING', 'AWAITING_PAYMENT', 'PAID']);
  });
});
