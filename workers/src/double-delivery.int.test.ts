import { jobIds, jobOptionsFor, type QueueName } from '@shopgraph/queues';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkoutWiring } from './checkout-wiring.js';
import { CARDS, newCustomer, startCheckoutHarness, type CheckoutHarness } from './fixtures/checkout-harness.js';

// At-least-once delivery, made real: the workers run every queue but relay no outbox; the test
// is the relay, and delivers each job several times at once and once more after they finished.
let h: CheckoutHarness;

beforeAll(async () => {
  h = await startCheckoutHarness();
  await h.startWorkers({ ...checkoutWiring, outboxSubgraphs: [] });
});

afterAll(async () => {
  await h?.close();
});

interface Delivery {
  queue: QueueName;
  name: string;
  jobId: string;
  payload: Record<string, unknown>;
}

/** Takes the unsent outbox row of `jobId` in `subgraph`, as the relay would, and marks it sent. */
async function takeFromOutbox(subgraph: 'orders' | 'payments', jobId: string): Promise<Delivery> {
  const { rows } = await h.sql[subgraph].query<{ queue: QueueName; job_name: string; payload: Record<string, unknown> }>(
    `update ${subgraph}.outbox set sent_at = now() where job_id = $1 and sent_at is null returning queue, job_name, payload`,
    [jobId],
  );
  expect(rows).toHaveLength(1);
  return { queue: rows[0]!.queue, name: rows[0]!.job_name, jobId, payload: rows[0]!.payload };
}

/** Adds the job under `jobId` (a fresh id each time: BullMQ would drop a reused one) and waits for it. */
async function deliver({ queue, name, payload }: Delivery, jobId: string): Promise<void> {
  await h.queues[queue].add(name, payload, { ...jobOptionsFor(name), jobId });
  await h.waitForJob(queue, jobId);
}

/**
 * Several copies at once (concurrency lets them overlap, as a stalled job's re-run overlaps the
 * original), then one more after they all finished.
 */
async function deliverRepeatedly(delivery: Delivery): Promise<void> {
  await Promise.all(Array.from({ length: 4 }, (_, copy) => deliver(delivery, copy === 0 ? delivery.jobId : `${delivery.jobId}-copy${copy}`)));
  await deliver(delivery, `${delivery.jobId}-later`);
}

async function placeReserved(productId: string, quantity: number) {
  const customer = newCustomer();
  const order = await h.placeOrder(customer, [{ productId, quantity }]);
  await deliver(await takeFromOutbox('orders', jobIds.reserveStock(order.id, 1)), jobIds.reserveStock(order.id, 1));
  expect((await h.order(customer, order.id)).status).toBe('AWAITING_PAYMENT');
  return { customer, orderId: order.id };
}

async function payable(orderId: string) {
  const { rows } = await h.sql.payments.query('select status, version from payments.payable_orders where order_id = $1', [orderId]);
  return rows;
}

const transitions = async (orderId: string) => (await h.history(orderId)).map((row) => row.to);

describe('every job delivered several times at once and once more', () => {
  it('reserve-stock: reserves and prices the order once', async () => {
    const productId = await h.createProduct(5);
    const customer = newCustomer();
    const order = await h.placeOrder(customer, [{ productId, quantity: 2 }]);
    await deliverRepeatedly(await takeFromOutbox('orders', jobIds.reserveStock(order.id, 1)));

    expect(await h.order(customer, order.id)).toMatchObject({ status: 'AWAITING_PAYMENT', total: { amount: 2500, currency: 'EUR' } });
    expect(await transitions(order.id)).toEqual(['PENDING', 'AWAITING_PAYMENT']);
    expect(await h.stock(productId)).toEqual({ onHand: 5, reserved: 2 });
    expect(await payable(order.id)).toEqual([{ status: 'AWAITING_PAYMENT', version: 1 }]);
  });

  it('charge-payment: charges the provider once and pays the order once; refund-payment: refunds once and restores stock once', async () => {
    const productId = await h.createProduct(5);
    const { customer, orderId } = await placeReserved(productId, 2);
    const payment = await h.payOrder(customer, orderId, CARDS.succeeds);
    await deliverRepeatedly(await takeFromOutbox('payments', jobIds.chargePayment(payment.id)));

    expect((await h.order(customer, orderId)).status).toBe('PAID');
    expect((await h.payment(customer, payment.id)).status).toBe('SUCCEEDED');
    expect(await h.providerCharges(payment.id)).toHaveLength(1);
    await h.settled([orderId]);
    expect(await h.stock(productId)).toEqual({ onHand: 3, reserved: 0 });
    expect(await payable(orderId)).toEqual([expect.objectContaining({ status: 'PAID' })]);

    await h.cancelOrder(customer, orderId);
    await deliverRepeatedly(await takeFromOutbox('orders', jobIds.refundOrder(orderId)));
    expect((await h.payment(customer, payment.id)).status).toBe('REFUNDED');
    expect(await h.providerCharges(payment.id)).toEqual([expect.objectContaining({ refunded: true })]);
    // Restored once: a second restore would have put 7 on hand.
    expect(await h.stock(productId)).toEqual({ onHand: 5, reserved: 0 });
    expect(await transitions(orderId)).toEqual(['PENDING', 'AWAITING_PAYMENT', 'PAID', 'CANCELLED']);
  });

  it('release-stock: gives the cancelled order\'s units back once, leaving another order\'s hold alone', async () => {
    const productId = await h.createProduct(5);
    const cancelled = await placeReserved(productId, 2);
    await placeReserved(productId, 1);
    await h.cancelOrder(cancelled.customer, cancelled.orderId);
    await deliverRepeatedly(await takeFromOutbox('orders', jobIds.releaseStock(cancelled.orderId)));

    expect(await h.stock(productId)).toEqual({ onHand: 5, reserved: 1 });
    expect(await payable(cancelled.orderId)).toEqual([expect.objectContaining({ status: 'CLOSED' })]);
    expect(await transitions(cancelled.orderId)).toEqual(['PENDING', 'AWAITING_PAYMENT', 'CANCELLED']);
  });

  it('expire-order: expires the order and releases its units once, leaving another order\'s hold alone', async () => {
    const productId = await h.createProduct(5);
    const expiring = await placeReserved(productId, 2);
    await placeReserved(productId, 1);
    await deliverRepeatedly({ queue: 'expiries', name: 'expire-order', jobId: `now-${jobIds.expireOrder(expiring.orderId, 1)}`, payload: { orderId: expiring.orderId, version: 1 } });

    expect((await h.order(expiring.customer, expiring.orderId)).status).toBe('EXPIRED');
    expect(await h.stock(productId)).toEqual({ onHand: 5, reserved: 1 });
    expect(await payable(expiring.orderId)).toEqual([expect.objectContaining({ status: 'CLOSED' })]);
    expect(await transitions(expiring.orderId)).toEqual(['PENDING', 'AWAITING_PAYMENT', 'EXPIRED']);
  });

  it('charge-payment for an order cancelled meanwhile: charges once, queues one refund, leaves the stock alone', async () => {
    const productId = await h.createProduct(5);
    const { customer, orderId } = await placeReserved(productId, 2);
    const payment = await h.payOrder(customer, orderId, CARDS.succeeds);
    await h.cancelOrder(customer, orderId);
    await deliver(await takeFromOutbox('orders', jobIds.releaseStock(orderId)), jobIds.releaseStock(orderId));
    await deliverRepeatedly(await takeFromOutbox('payments', jobIds.chargePayment(payment.id)));

    // The processor queued the refund itself, under one id however often it ran.
    await h.waitForJob('refunds', jobIds.refundPayment(payment.id));
    const refund = (await h.queues.refunds.getJob(jobIds.refundPayment(payment.id)))!;
    expect(refund.data).toEqual({ orderId, restoreStock: false });
    await deliverRepeatedly({ queue: 'refunds', name: 'refund-payment', jobId: `more-${refund.id}`, payload: refund.data });

    expect(await h.waitForPayment(customer, payment.id, (p) => p.status === 'REFUNDED')).toMatchObject({ status: 'REFUNDED' });
    expect(await h.providerCharges(payment.id)).toEqual([expect.objectContaining({ refunded: true })]);
    expect((await h.order(customer, orderId)).status).toBe('CANCELLED');
    expect(await h.stock(productId)).toEqual({ onHand: 5, reserved: 0 });
    expect(await transitions(orderId)).toEqual(['PENDING', 'AWAITING_PAYMENT', 'CANCELLED']);
  });
});
