import { jobIds } from '@shopgraph/queues';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARDS, newCustomer, startCheckoutHarness, type CheckoutHarness, type Order } from './fixtures/checkout-harness.js';

const RESERVATION_TTL_MS = 500;
let h: CheckoutHarness;

beforeAll(async () => {
  h = await startCheckoutHarness({ reservationTtlMs: RESERVATION_TTL_MS });
  await h.startWorkers();
});

afterAll(async () => {
  await h?.close();
});

const settled = (order: Order) => order.status !== 'PENDING';

describe('reservation expiry', () => {
  it('expires an order not paid within RESERVATION_TTL_MS and releases its stock', async () => {
    const productId = await h.createProduct(4);
    const customer = newCustomer();
    const placed = await h.placeOrder(customer, [{ productId, quantity: 3 }]);
    const reserved = await h.waitForOrder(customer, placed.id, settled);
    expect(reserved.status).toBe('AWAITING_PAYMENT');
    const reservedAt = Date.now();
    expect(await h.stock(productId)).toEqual({ onHand: 4, reserved: 3 });

    const expired = await h.waitForOrder(customer, placed.id, (order) => order.status === 'EXPIRED');
    expect(Date.now() - reservedAt).toBeGreaterThanOrEqual(RESERVATION_TTL_MS - 50);
    expect(expired.statusReason).toMatch(/Not paid within 1 second/);
    await h.waitForJob('expiries', jobIds.expireOrder(placed.id, 1));
    expect(await h.stock(productId)).toEqual({ onHand: 4, reserved: 0 });
    expect(await h.availableStock(productId)).toBe(4);
    await expect(h.payOrder(customer, placed.id, CARDS.succeeds)).rejects.toThrow(/CONFLICT/);
  });

  it('leaves an order paid in time alone when its expiry comes', async () => {
    const productId = await h.createProduct(4);
    const customer = newCustomer();
    const placed = await h.placeOrder(customer, [{ productId, quantity: 1 }]);
    await h.waitForOrder(customer, placed.id, settled);
    await h.reservationDone(placed.id);
    const payment = await h.payOrder(customer, placed.id, CARDS.succeeds);
    await h.waitForOrder(customer, placed.id, (order) => order.status === 'PAID');
    await h.chargeDone(payment.id);
    await h.waitForJob('expiries', jobIds.expireOrder(placed.id, 1));

    expect((await h.order(customer, placed.id)).status).toBe('PAID');
    expect((await h.queues.expiries.getJob(jobIds.expireOrder(placed.id, 1)))?.returnvalue).toEqual({ expired: false });
    expect(await h.stock(productId)).toEqual({ onHand: 3, reserved: 0 });
  });
});
