import { stableId } from '@shopgraph/common';
import { loadConfig as loadOrdersConfig } from '@shopgraph/orders/env';
import { seedOrders } from '@shopgraph/orders/seed';
import { testEnv } from '@shopgraph/testing';
import { beforeAll, describe, expect, it, inject } from 'vitest';
import { demoProducts, type DemoOrder } from '../scripts/demo-data.js';
import { dataOf, gql, loginAdmin, registerCustomer } from './helpers.js';

/*
 * The gateway's entity cache (on, as `npm start` runs it) under a deep private read: each
 * customer's orders with their products (PUBLIC entities, shared by everyone) and their user
 * (PRIVATE: email is the viewer's own), while an admin changes product prices.
 */

const DEEP = `query MyOrders {
  me { id email orders(first: 8) { edges { node { id user { id name email } items { quantity product { id name price { amount currency } } } } } } }
}`;

/** The products the customers' orders hold: the first six of the demo catalog. */
const PRODUCTS = demoProducts.slice(0, 6);

interface Customer {
  token: string;
  userId: string;
  email: string;
}

let customers: Customer[];
let adminToken: string;

beforeAll(async () => {
  customers = [await registerCustomer(), await registerCustomer()];
  adminToken = (await loginAdmin()).token;
  const env = testEnv(inject('databaseUrl'));
  for (const customer of customers) {
    const orders: DemoOrder[] = Array.from({ length: 8 }, (_, i) => ({
      id: stableId(`e2e-entity-cache:${customer.userId}:${i}`),
      userId: customer.userId,
      status: 'PAID',
      statusReason: null,
      items: [0, 1, 2].map((k) => ({ productId: PRODUCTS[(i + k) % PRODUCTS.length]!.id, quantity: 1 })),
      placedMinutesAgo: 30 + i,
    }));
    await seedOrders(loadOrdersConfig(env), orders, demoProducts);
  }
});

type DeepRead = { me: { id: string; email: string; orders: { edges: { node: { user: { id: string; email: string }; items: { product: { id: string; price: { amount: number } } }[] } }[] } } };

const readDeep = async (customer: Customer) => dataOf<DeepRead>(await gql<DeepRead>(DEEP, {}, customer.token));

/** Every product's price the read shows, by id. */
function pricesIn(read: DeepRead): Map<string, number> {
  const prices = new Map<string, number>();
  for (const { node } of read.me.orders.edges) for (const { product } of node.items) prices.set(product.id, product.price.amount);
  return prices;
}

/** The read holds the viewer's own user and nobody else's, wherever a user appears. */
function expectOwn(read: DeepRead, customer: Customer) {
  expect(read.me).toMatchObject({ id: customer.userId, email: customer.email });
  expect(read.me.orders.edges).toHaveLength(8);
  for (const { node } of read.me.orders.edges) expect(node.user).toEqual({ id: customer.userId, name: 'E2E Customer', email: customer.email });
}

describe('the entity cache', () => {
  it('never shows a product as it was before a completed write (50 update/read cycles, two customers reading their orders)', async () => {
    for (let cycle = 0; cycle < 50; cycle++) {
      const product = PRODUCTS[cycle % PRODUCTS.length]!;
      const amount = 10_000 + cycle;
      // Both customers read, so every product's entity is cached, then the write completes …
      for (const read of await Promise.all(customers.map(readDeep))) expect(pricesIn(read).size).toBe(PRODUCTS.length);
      const write = await gql(
        'mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id price { amount } } }',
        { id: product.id, input: { price: { amount, currency: 'EUR' } } },
        adminToken,
      );
      expect(dataOf(write).updateProduct).toEqual({ id: product.id, price: { amount } });
      // … and every read after it shows the new price, in every order that holds the product.
      for (const [n, read] of (await Promise.all(customers.map(readDeep))).entries()) {
        expectOwn(read, customers[n]!);
        expect(pricesIn(read).get(product.id)).toBe(amount);
      }
    }
  });

  it('never shows one customer a PRIVATE field of another (1,000 interleaved deep reads, cache warm)', async () => {
    await Promise.all(customers.map(readDeep));
    for (let batch = 0; batch < 50; batch++) {
      // Twenty at a time, the two customers alternating.
      const reads = await Promise.all(Array.from({ length: 20 }, (_, i) => customers[i % 2]!).map(async (customer) => ({ customer, read: await readDeep(customer) })));
      for (const { customer, read } of reads) expectOwn(read, customer);
    }
  });
});
