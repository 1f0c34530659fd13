import { describe, expect, it } from 'vitest';
import { demoOrders, demoOrdersToPay, demoPayments, demoProducts, demoUsers } from './demo-data.js';

/*
 * Each subgraph owns its part of the demo shop and names the others' rows by key: these checks
 * are where the parts meet, so a key mistyped in one subgraph's demo data fails here, not in a
 * seeded platform.
 */

const users = new Set(demoUsers.map((user) => user.id));
const products = new Set(demoProducts.map((product) => product.id));
const orders = new Map(demoOrders.map((order) => [order.id, order]));

describe('the demo shop', () => {
  it('orders customers that exist and products the catalog holds', () => {
    for (const order of demoOrders) {
      expect(users, `order ${order.id}'s customer`).toContain(order.userId);
      for (const item of order.items) expect(products, `order ${order.id}'s product`).toContain(item.productId);
    }
  });

  it('pays demo orders, each by the customer who placed it', () => {
    for (const payment of demoPayments) {
      expect(orders.get(payment.orderId)?.userId, `payment ${payment.id}'s order`).toBe(payment.userId);
    }
  });

  it('prices every demo order at the catalog\'s prices, for payments', () => {
    const price = new Map(demoProducts.map((product) => [product.id, product.price.amount]));
    expect(demoOrdersToPay).toEqual(
      demoOrders.map((order) => ({
        id: order.id,
        userId: order.userId,
        status: order.status,
        total: { amount: order.items.reduce((sum, item) => sum + price.get(item.productId)! * item.quantity, 0), currency: 'EUR' },
      })),
    );
  });
});
