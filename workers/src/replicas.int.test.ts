import { waitFor } from '@shopgraph/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CARDS, newCustomer, startCheckoutHarness, type CheckoutHarness } from './fixtures/checkout-harness.js';

let h: CheckoutHarness;
let replicaUrls: string[];

beforeAll(async () => {
  h = await startCheckoutHarness();
  replicaUrls = (await Promise.all([h.startWorkersProcess(), h.startWorkersProcess()])).map((replica) => replica.url);
});

afterAll(async () => {
  await h?.close();
});

/** Sums a metric's samples whose labels include `labels`, over every replica's /metrics. */
async function sumOverReplicas(name: string, labels: Record<string, string>): Promise<number> {
  let sum = 0;
  for (const url of replicaUrls) {
    const text = await (await fetch(`${url}/metrics`)).text();
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`)) continue;
      const labelText = line.slice(name.length, line.lastIndexOf('}') + 1);
      if (Object.entries(labels).every(([key, value]) => labelText.includes(`${key}="${value}"`))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return sum;
}

describe('two workers processes side by side', () => {
  it('relay every outbox row once and apply every order transition once under a burst of orders', { timeout: 60_000 }, async () => {
    const ORDERS = 40;
    const products = await Promise.all([h.createProduct(100), h.createProduct(100)]);
    const customers = Array.from({ length: ORDERS }, () => newCustomer());
    const orders = await Promise.all(customers.map((customer, i) => h.placeOrder(customer, [{ productId: products[i % 2]!, quantity: 1 }])));
    const orderIds = orders.map((order) => order.id);
    await h.waitWhileAny(orderIds, 'PENDING');
    await Promise.all(orderIds.map((orderId) => h.reservationDone(orderId)));
    const payments = await Promise.all(customers.map((customer, i) => h.payOrder(customer, orderIds[i]!, CARDS.succeeds)));
    await h.waitWhileAny(orderIds, 'AWAITING_PAYMENT');
    await Promise.all(payments.map((payment) => h.chargeDone(payment.id)));
    const { rows: statuses } = await h.sql.orders.query('select distinct status from orders.orders where id = any($1::uuid[])', [orderIds]);
    expect(statuses).toEqual([{ status: 'PAID' }]);

    // Every outbox row was relayed, and counted once across both replicas. Rows are marked sent
    // a moment after their jobs were added, many at a time.
    const outboxes = { orders: ORDERS, payments: ORDERS };
    for (const [subgraph, expected] of Object.entries(outboxes) as ['orders' | 'payments', number][]) {
      const outboxRows = async () =>
        (
          await h.sql[subgraph].query<{ total: number; unsent: number }>(
            `select count(*)::int as total, count(*) filter (where sent_at is null)::int as unsent from ${subgraph}.outbox`,
          )
        ).rows[0]!;
      await waitFor(async () => (await outboxRows()).unsent === 0);
      expect(await outboxRows()).toEqual({ total: expected, unsent: 0 });
      expect(await sumOverReplicas('shopgraph_outbox_relayed_total', { subgraph })).toBe(expected);
      // One relay per subgraph across the replicas: the advisory lock's holder.
      expect(await sumOverReplicas('shopgraph_outbox_relay_leader', { subgraph })).toBe(1);
    }

    // Every job ran to completion once, on one replica or the other.
    expect(await sumOverReplicas('shopgraph_job_attempts_total', { name: 'reserve-stock', outcome: 'completed' })).toBe(ORDERS);
    expect(await sumOverReplicas('shopgraph_job_attempts_total', { name: 'charge-payment', outcome: 'completed' })).toBe(ORDERS);

    // Every transition once: three per order, none twice.
    const { rows: duplicates } = await h.sql.orders.query(
      'select order_id, to_status, version from orders.order_status_history group by 1, 2, 3 having count(*) > 1',
    );
    expect(duplicates).toEqual([]);
    const { rows: perOrder } = await h.sql.orders.query<{ transitions: string[] }>(
      'select array_agg(to_status order by id) as transitions from orders.order_status_history group by order_id',
    );
    expect(perOrder).toHaveLength(ORDERS);
    for (const { transitions } of perOrder) expect(transitions).toEqual(['PENDING', 'AWAITING_PAYMENT', 'PAID']);

    for (const payment of payments) expect(await h.providerCharges(payment.id)).toHaveLength(1);
    // Paid stock leaves the warehouse when a replica's settler commits it, a window after PAID.
    await h.settled(orderIds);
    for (const productId of products) expect(await h.stock(productId)).toEqual({ onHand: 80, reserved: 0 });
  });
});
