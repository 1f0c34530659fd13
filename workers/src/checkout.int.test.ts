import { randomUUID } from 'node:crypto';
import { jobIds } from '@shopgraph/queues';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARDS, newCustomer, startCheckoutHarness, type CheckoutHarness, type Order } from './fixtures/checkout-harness.js';

// The whole checkout with the workers in-process, each subgraph in a database of its own (as
// `<SUBGRAPH>_DATABASE_URL` allows), driven through the subgraphs' own mutations.
let h: CheckoutHarness;

const settled = (order: Order) => order.status !== 'PENDING';

beforeAll(async () => {
  h = await startCheckoutHarness({ separateDatabases: true });
  await h.startWorkers();
});

afterAll(async () => {
  await h?.close();
});

/** A product with `stock` units, and a customer's order of `quantity` of it, reserved and priced. */
async function reservedOrder(stock = 5, quantity = 2, price = 1250) {
  const customer = newCustomer();
  const productId = await h.createProduct(stock, price);
  const placed = await h.placeOrder(customer, [{ productId, quantity }]);
  const order = await h.waitForOrder(customer, placed.id, settled);
  expect(order.status).toBe('AWAITING_PAYMENT');
  await h.reservationDone(order.id);
  return { customer, productId, order };
}

describe('placing and paying', () => {
  it('reserves, prices and charges an order end to end, and commits its stock (4242424242424242)', async () => {
    const { customer, productId, order } = await reservedOrder(5, 2, 1250);
    expect(order.total).toEqual({ amount: 2500, currency: 'EUR' });
    expect(order.items).toEqual([{ product: { id: productId }, quantity: 2, productName: expect.stringMatching(/^Product /), unitPrice: { amount: 1250, currency: 'EUR' } }]);
    expect(await h.stock(productId)).toEqual({ onHand: 5, reserved: 2 });

    const payment = await h.payOrder(customer, order.id, CARDS.succeeds);
    expect(payment).toMatchObject({ status: 'PROCESSING', amount: { amount: 2500, currency: 'EUR' } });
    expect((await h.waitForOrder(customer, order.id, (o) => o.status === 'PAID')).status).toBe('PAID');
    await h.chargeDone(payment.id);
    expect(await h.payment(customer, payment.id)).toMatchObject({ status: 'SUCCEEDED', failureReason: null });

    // The sale left the warehouse once settled: reserved and on hand dropped together.
    await h.settled([order.id]);
    expect(await h.stock(productId)).toEqual({ onHand: 3, reserved: 0 });
    const { rows: reservation } = await h.sql.products.query('select status from products.stock_reservations where order_id = $1', [order.id]);
    expect(reservation).toEqual([{ status: 'COMMITTED' }]);
    expect(await h.providerCharges(payment.id)).toEqual([expect.objectContaining({ amount: 2500, refunded: false })]);
    expect((await h.history(order.id)).map((row) => row.to)).toEqual(['PENDING', 'AWAITING_PAYMENT', 'PAID']);
  });

  it('records a declined card (4000000000000002) as FAILED card_declined and lets the customer pay again', async () => {
    const { customer, productId, order } = await reservedOrder();
    const declined = await h.payOrder(customer, order.id, CARDS.declined);
    expect(await h.waitForPayment(customer, declined.id, (p) => p.status !== 'PROCESSING')).toMatchObject({
      status: 'FAILED',
      failureReason: 'card_declined',
    });
    // Nothing changed for the order: still payable, its stock still held.
    expect((await h.order(customer, order.id)).status).toBe('AWAITING_PAYMENT');
    expect(await h.stock(productId)).toEqual({ onHand: 5, reserved: 2 });
    expect(await h.providerCharges(declined.id)).toEqual([]);

    const retried = await h.payOrder(customer, order.id, CARDS.succeeds);
    expect(retried.id).not.toBe(declined.id);
    expect((await h.waitForOrder(customer, order.id, (o) => o.status === 'PAID')).status).toBe('PAID');
    await h.chargeDone(retried.id);
    expect((await h.payment(customer, retried.id)).status).toBe('SUCCEEDED');
    await h.settled([order.id]);
    expect(await h.stock(productId)).toEqual({ onHand: 3, reserved: 0 });
  });

  it('records insufficient funds (4000000000009995) as FAILED insufficient_funds, the order still awaiting payment', async () => {
    const { customer, productId, order } = await reservedOrder();
    const payment = await h.payOrder(customer, order.id, CARDS.insufficientFunds);
    expect(await h.waitForPayment(customer, payment.id, (p) => p.status !== 'PROCESSING')).toMatchObject({
      status: 'FAILED',
      failureReason: 'insufficient_funds',
    });
    expect((await h.order(customer, order.id)).status).toBe('AWAITING_PAYMENT');
    expect(await h.stock(productId)).toEqual({ onHand: 5, reserved: 2 });
    // A decline is permanent: one attempt, run by the relay, and no retry (BullMQ never got the job).
    await h.chargeDone(payment.id);
    expect(await h.queues.payments.getJob(jobIds.chargePayment(payment.id))).toBeUndefined();
  });

  it('retries transient provider errors (4000000000000119) with backoff, then charges once', async () => {
    const { customer, order } = await reservedOrder();
    const payment = await h.payOrder(customer, order.id, CARDS.processingErrorTwice);
    expect((await h.waitForOrder(customer, order.id, (o) => o.status === 'PAID')).status).toBe('PAID');
    await h.chargeDone(payment.id);
    // The relay's attempt failed and handed the job to BullMQ, which made two more.
    const job = (await h.queues.payments.getJob(jobIds.chargePayment(payment.id)))!;
    expect(job.attemptsMade).toBe(2);
    // Exponential from 250 ms: 250 ms before BullMQ's first attempt, 250 ms before its second.
    expect(job.finishedOn! - job.timestamp).toBeGreaterThanOrEqual(500);
    expect(await h.providerCharges(payment.id)).toHaveLength(1);
    expect((await h.payment(customer, payment.id)).status).toBe('SUCCEEDED');
  });

  it('answers duplicate payOrder calls with one key, in parallel, with one payment and one charge', async () => {
    const { customer, order } = await reservedOrder();
    const key = randomUUID();
    const payments = await Promise.all(Array.from({ length: 10 }, () => h.payOrder(customer, order.id, CARDS.succeeds, key)));
    expect(new Set(payments.map((payment) => payment.id)).size).toBe(1);
    await h.waitForOrder(customer, order.id, (o) => o.status === 'PAID');
    const { rows } = await h.sql.payments.query('select id from payments.payments where order_id = $1', [order.id]);
    expect(rows).toEqual([{ id: payments[0]!.id }]);
    expect(await h.providerCharges(payments[0]!.id)).toHaveLength(1);
  });

  // How fast this goes is the benchmark's to measure (bench/README.md); here, that it all adds up.
  it('takes 15 orders of one product, placed and paid at the same time, each to PAID with one charge', { timeout: 60_000 }, async () => {
    const productId = await h.createProduct(100, 700);
    const customers = Array.from({ length: 15 }, () => newCustomer());
    const orderIds = await Promise.all(customers.map(async (customer) => (await h.placeOrder(customer, [{ productId, quantity: 2 }])).id));
    await h.waitWhileAny(orderIds, 'PENDING');
    await Promise.all(orderIds.map((orderId) => h.reservationDone(orderId)));
    const payments = await Promise.all(orderIds.map((orderId, i) => h.payOrder(customers[i]!, orderId, CARDS.succeeds)));
    await h.waitWhileAny(orderIds, 'AWAITING_PAYMENT');
    await Promise.all(payments.map((payment) => h.chargeDone(payment.id)));
    const paid = orderIds.map((orderId, i) => ({ customer: customers[i]!, orderId, payment: payments[i]! }));
    for (const { customer, orderId, payment } of paid) {
      expect(await h.payment(customer, payment.id)).toMatchObject({ status: 'SUCCEEDED', amount: { amount: 1400, currency: 'EUR' } });
      expect(await h.providerCharges(payment.id)).toEqual([expect.objectContaining({ amount: 1400, refunded: false })]);
      expect((await h.history(orderId)).map((row) => row.to)).toEqual(['PENDING', 'AWAITING_PAYMENT', 'PAID']);
    }
    await h.settled(orderIds);
    expect(await h.stock(productId)).toEqual({ onHand: 70, reserved: 0 });
  });
});

describe('cancelling', () => {
  it('releases the stock of an order cancelled before payment, and payments no longer accepts it', async () => {
    const { customer, productId, order } = await reservedOrder(5, 3);
    expect((await h.cancelOrder(customer, order.id)).status).toBe('CANCELLED');
    await h.outboxJobDone('orders', 'reservations', jobIds.releaseStock(order.id));
    expect(await h.stock(productId)).toEqual({ onHand: 5, reserved: 0 });
    const { rows } = await h.sql.payments.query('select status from payments.payable_orders where order_id = $1', [order.id]);
    expect(rows).toEqual([{ status: 'CLOSED' }]);
    await expect(h.payOrder(customer, order.id, CARDS.succeeds)).rejects.toThrow(/CONFLICT/);
  });

  it('leaves no stock held whichever comes first, the reservation or a cancel right after placing', async () => {
    const productId = await h.createProduct(40);
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        const customer = newCustomer();
        const placed = await h.placeOrder(customer, [{ productId, quantity: 2 }]);
        expect((await h.cancelOrder(customer, placed.id)).status).toBe('CANCELLED');
        await h.reservationDone(placed.id);
        await h.outboxJobDone('orders', 'reservations', jobIds.releaseStock(placed.id));
      }),
    );
    expect(await h.stock(productId)).toEqual({ onHand: 40, reserved: 0 });
  });

  it('refunds a paid order once and puts its units back on hand', async () => {
    const { customer, productId, order } = await reservedOrder(5, 2);
    const payment = await h.payOrder(customer, order.id, CARDS.succeeds);
    await h.waitForOrder(customer, order.id, (o) => o.status === 'PAID');
    await h.chargeDone(payment.id);
    await h.settled([order.id]);
    expect(await h.stock(productId)).toEqual({ onHand: 3, reserved: 0 });

    expect((await h.cancelOrder(customer, order.id)).status).toBe('CANCELLED');
    expect(await h.waitForPayment(customer, payment.id, (p) => p.status === 'REFUNDED')).toMatchObject({ status: 'REFUNDED' });
    await h.outboxJobDone('orders', 'refunds', jobIds.refundOrder(order.id));
    expect(await h.stock(productId)).toEqual({ onHand: 5, reserved: 0 });
    expect(await h.providerCharges(payment.id)).toEqual([expect.objectContaining({ refunded: true })]);
    expect((await h.order(customer, order.id)).status).toBe('CANCELLED');
    expect((await h.history(order.id)).map((row) => row.to)).toEqual(['PENDING', 'AWAITING_PAYMENT', 'PAID', 'CANCELLED']);
  });
});
