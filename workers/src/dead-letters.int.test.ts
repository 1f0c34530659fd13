import { entityEventsChannel, parseEntityEvent, type EntityEvent } from '@shopgraph/cache';
import { jobIds } from '@shopgraph/queues';
import { createTestDatabase, testRedisUrl, waitFor, type TestDatabase } from '@shopgraph/testing';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkoutWiring } from './checkout-wiring.js';
import { loadConfig } from './env.js';
import { CARDS, newCustomer, startCheckoutHarness, type CheckoutHarness } from './fixtures/checkout-harness.js';
import { RESERVATION_FAILED_REASON } from './sagas/reserve.js';

// Jobs that can never succeed, running every attempt their job options allow: the workers are
// pointed at a products database that answers but holds no products schema (a deployment gone
// wrong, which no retry mends), or at a payment provider that does not answer. (A database that
// does not answer at all is an outage: its jobs wait without spending attempts, as
// create-worker.int.test.ts shows.)
const NOWHERE_PROVIDER = 'http://127.0.0.1:1';
let h: CheckoutHarness;
let emptyDatabase: TestDatabase;

beforeAll(async () => {
  h = await startCheckoutHarness();
  emptyDatabase = await createTestDatabase('sg_no_products');
});

afterEach(async () => {
  await h.stopWorkers();
});

afterAll(async () => {
  await h?.close();
  await emptyDatabase?.drop();
});

describe('jobs that exhaust their attempts', () => {
  it('reserve-stock: the order is REJECTED with a reason instead of hanging in PENDING, and the job is dead-lettered', { timeout: 90_000 }, async () => {
    await h.startWorkers(checkoutWiring, { PRODUCTS_DATABASE_URL: emptyDatabase.url });
    const productId = await h.createProduct(5);
    const customer = newCustomer();
    const placed = await h.placeOrder(customer, [{ productId, quantity: 1 }]);
    const jobId = jobIds.reserveStock(placed.id, 1);
    await h.waitForJob('reservations', jobId, 'failed', 60_000);

    expect((await h.queues.reservations.getJob(jobId))?.attemptsMade).toBe(5);
    expect(await h.order(customer, placed.id)).toMatchObject({ status: 'REJECTED', statusReason: RESERVATION_FAILED_REASON });
    const deadLetter = await h.queues['dead-letters'].getJob(jobIds.deadLetter('reservations', jobId));
    expect(deadLetter?.data).toMatchObject({ queue: 'reservations', name: 'reserve-stock', payload: { orderId: placed.id, version: 1 }, attemptsMade: 5 });
    expect(await h.stock(productId)).toEqual({ onHand: 5, reserved: 0 });
  });

  it('charge-payment: the payment is FAILED with processing_error, and the customer can pay again once the provider is back', { timeout: 90_000 }, async () => {
    await h.startWorkers(checkoutWiring, { PAYMENT_PROVIDER_URL: NOWHERE_PROVIDER });
    const productId = await h.createProduct(5);
    const customer = newCustomer();
    const placed = await h.placeOrder(customer, [{ productId, quantity: 1 }]);
    await h.reservationDone(placed.id);
    // payOrder tokenizes through payments' own provider URL; only the workers' charge fails.
    // The order's entity events from now on: none until the charge has failed for good (a failed
    // attempt announces nothing), then the one saying its payment failed.
    const events: EntityEvent[] = [];
    const listener = new Redis(testRedisUrl);
    listener.on('message', (_channel: string, message: string) => {
      const event = parseEntityEvent(message);
      if (event?.typename === 'Order' && event.id === placed.id) events.push(event);
    });
    await listener.subscribe(entityEventsChannel(loadConfig(h.env).cacheKeyPrefix));
    const stuck = await h.payOrder(customer, placed.id, CARDS.succeeds);
    const jobId = jobIds.chargePayment(stuck.id);
    await h.waitForJob('payments', jobId, 'failed', 60_000);
    try {
      await waitFor(() => events.length > 0, { timeoutMs: 30_000, what: "the order's event once its charge was dead-lettered" });
    } finally {
      listener.disconnect();
    }

    expect((await h.queues.payments.getJob(jobId))?.attemptsMade).toBe(6);
    expect(await h.payment(customer, stuck.id)).toMatchObject({ status: 'FAILED', failureReason: 'processing_error' });
    expect((await h.order(customer, placed.id)).status).toBe('AWAITING_PAYMENT');
    const deadLetter = await h.queues['dead-letters'].getJob(jobIds.deadLetter('payments', jobId));
    expect(deadLetter).toMatchObject({
      name: 'charge-payment',
      data: {
        queue: 'payments',
        name: 'charge-payment',
        jobId,
        payload: { paymentId: stuck.id },
        attemptsMade: 6,
        failedReason: expect.stringMatching(/^payment provider unreachable on \/v1\/charges/),
      },
    });
    // Nothing works dead-letters: it waits for an operator.
    expect(await deadLetter!.getState()).toBe('waiting');

    await h.stopWorkers();
    await h.startWorkers();
    const payment = await h.payOrder(customer, placed.id, CARDS.succeeds);
    await h.waitForOrder(customer, placed.id, (order) => order.status === 'PAID');
    await h.chargeDone(payment.id);
    await h.settled([placed.id]);
    expect(await h.stock(productId)).toEqual({ onHand: 4, reserved: 0 });
  });
});
