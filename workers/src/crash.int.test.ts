import { jobIds } from '@shopgraph/queues';
import { readCounter, startHoldingProxy, type HoldingProxy } from '@shopgraph/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARDS, newCustomer, startCheckoutHarness, type CheckoutHarness, type Order } from './fixtures/checkout-harness.js';

let h: CheckoutHarness;
let gate: HoldingProxy;

beforeAll(async () => {
  h = await startCheckoutHarness();
  gate = await startHoldingProxy(h.provider.url);
});

afterAll(async () => {
  await gate?.close();
  await h?.close();
});

const outboxRow = async (jobId: string) =>
  (await h.sql.payments.query<{ sent: boolean }>('select sent_at is not null as sent from payments.outbox where job_id = $1', [jobId])).rows[0];

describe('kill -9 during a charge', () => {
  it('loses nothing: after a restart the order is PAID, and the provider charged once', { timeout: 60_000 }, async () => {
    // The first process charges through the gate, which holds the provider's answer back.
    const first = await h.startWorkersProcess({ PAYMENT_PROVIDER_URL: gate.url });
    const charge = gate.hold('/v1/charges');
    const productId = await h.createProduct(3);
    const customer = newCustomer();
    const placed = await h.placeOrder(customer, [{ productId, quantity: 1 }]);
    await h.waitForOrder(customer, placed.id, (order: Order) => order.status !== 'PENDING');
    await h.reservationDone(placed.id);
    const payment = await h.payOrder(customer, placed.id, CARDS.succeeds);

    const chargeJobId = jobIds.chargePayment(payment.id);
    // The provider has charged the card; the worker is still waiting for the answer.
    await charge.held;
    expect(await h.providerCharges(payment.id)).toHaveLength(1);
    await first.kill();
    charge.release();
    expect((await h.payment(customer, payment.id)).status).toBe('PROCESSING');
    expect((await h.order(customer, placed.id)).status).toBe('AWAITING_PAYMENT');
    // The relay of the killed process was running the charge itself: its outbox row is still unsent.
    expect(await outboxRow(chargeJobId)).toEqual({ sent: false });
    expect(await h.queues.payments.getJobState(chargeJobId)).toBe('unknown');

    // Its relay takes the outbox lock the killed process's session held, and the unsent row with it.
    await h.startWorkersProcess();
    expect((await h.waitForOrder(customer, placed.id, (order) => order.status === 'PAID', 30_000)).status).toBe('PAID');
    await h.chargeDone(payment.id);
    expect((await h.payment(customer, payment.id)).status).toBe('SUCCEEDED');
    // The killed attempt's charge went through at the provider; the retry got its stored answer.
    expect(await h.providerCharges(payment.id)).toHaveLength(1);
    expect(await readCounter(`${h.provider.url}/metrics`, 'payment_provider_charge_requests_total')).toBe(2);
    const providerMetrics = await (await fetch(`${h.provider.url}/metrics`)).text();
    expect(providerMetrics).toMatch(/payment_provider_charge_requests_total\{status="200",replayed="true"[^}]*\} 1\n/);
    await h.settled([placed.id]);
    expect(await h.stock(productId)).toEqual({ onHand: 2, reserved: 0 });
    // The restarted process's relay ran it again, directly: it never went to BullMQ.
    expect(await outboxRow(chargeJobId)).toEqual({ sent: true });
    expect(await h.queues.payments.getJobState(chargeJobId)).toBe('unknown');
  });
});
