import { stableId } from '@shopgraph/common';
import { loadConfig as loadOrdersConfig } from '@shopgraph/orders/env';
import { priceDemoOrders, seedOrders } from '@shopgraph/orders/seed';
import { loadConfig as loadPaymentsConfig } from '@shopgraph/payments/env';
import { seedPayments } from '@shopgraph/payments/seed';
import { testEnv } from '@shopgraph/testing';
import { beforeAll, describe, expect, it, inject } from 'vitest';
import { demoProducts, type DemoOrder, type DemoPayment } from '../scripts/demo-data.js';
import { dataOf, gql, registerCustomer, statementsSoFar } from './helpers.js';

const DEEP_ORDERS = `query($first: Int!) {
  orders(first: $first) {
    totalCount
    edges { node { id status total { amount } user { id name email }
      items { quantity product { id name stock price { amount } } }
      payment { id status amount { amount } order { id } } } }
  }
}`;

/** Two customers: each read is the first of its viewer, so the gateway's entity cache holds neither one's user. */
const tokens: string[] = [];

beforeAll(async () => {
  const env = testEnv(inject('databaseUrl'));
  for (const n of [0, 1]) {
    const customer = await registerCustomer();
    tokens.push(customer.token);
    // Sixty paid orders over three products each, with their payments, for each customer.
    const orders: DemoOrder[] = Array.from({ length: 60 }, (_, i) => ({
      id: stableId(`e2e-n+1:${customer.userId}:${i}`),
      userId: customer.userId,
      status: 'PAID',
      statusReason: null,
      items: [0, 1, 2].map((k) => ({ productId: demoProducts[(i + k) % demoProducts.length]!.id, quantity: 1 + k })),
      placedMinutesAgo: 60 + i,
    }));
    const payments: DemoPayment[] = orders.map((order, i) => ({
      id: stableId(`e2e-n+1:payment:${order.id}`),
      orderId: order.id,
      userId: customer.userId,
      status: 'SUCCEEDED',
      failureReason: null,
      cardLast4: '4242',
      placedMinutesAgo: 59 + i,
    }));
    await seedOrders(loadOrdersConfig(env), orders, demoProducts);
    await seedPayments(loadPaymentsConfig(env), payments, priceDemoOrders(orders, demoProducts));
  }
});

describe('a deep federated list', () => {
  it('costs the same number of SQL statements for 50 orders as for 5', async () => {
    // The first page's products are asked for here first (no other test selects them so): the
    // five orders miss some in the entity cache, the fifty more; each costs one batched statement.
    const statementsFor = async (first: number, token: string) => {
      const before = await statementsSoFar();
      const result = dataOf(await gql(DEEP_ORDERS, { first }, token));
      expect(result.orders.edges).toHaveLength(first);
      expect(result.orders.edges.every((e: any) => e.node.payment.status === 'SUCCEEDED' && e.node.items.length === 3)).toBe(true);
      return (await statementsSoFar()) - before;
    };
    const forFive = await statementsFor(5, tokens[0]!);
    const forFifty = await statementsFor(50, tokens[1]!);
    expect(forFive).toBeGreaterThan(0);
    expect(forFifty).toBe(forFive);
  });
});
