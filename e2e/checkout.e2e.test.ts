import { waitFor } from '@shopgraph/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { demoProducts } from '../scripts/demo-data.js';
import { codeOf, dataOf, gql, loginAdmin, registerCustomer } from './helpers.js';

const ORDER = `id status statusReason total { amount currency } items { quantity productName unitPrice { amount } product { id stock } } payment { id status failureReason }`;

/** Polls `read` until `done` holds (the checkout is asynchronous), or fails after `timeoutMs`. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  let last: T | undefined;
  const { value } = await waitFor(
    async () => {
      last = await read();
      return done(last) ? { value: last } : undefined;
    },
    { timeoutMs, intervalMs: 25, what: 'the checkout to move on' },
  ).catch((error: Error) => {
    throw new Error(`${error.message}; last value: ${JSON.stringify(last)}`);
  });
  return value;
}

const created: string[] = [];

async function newProduct(stock: number, amount = 1250) {
  const admin = await loginAdmin();
  const input = { sku: `CO-${Date.now()}-${Math.random().toString(36).slice(2, 7)}`, name: 'Checkout kite', price: { amount, currency: 'EUR' }, stock };
  const product = dataOf(await gql(`mutation($input: CreateProductInput!) { createProduct(input: $input) { id stock } }`, { input }, admin.token)).createProduct;
  created.push(product.id);
  return product;
}

// Other files read the seeded catalog: leave it as it was (deleted products still resolve in orders).
afterAll(async () => {
  const admin = await loginAdmin();
  for (const id of created) dataOf(await gql(`mutation($id: ID!) { deleteProduct(id: $id) }`, { id }, admin.token));
});

const readOrder = (id: string, token: string) => gql(`query($id: ID!) { order(id: $id) { ${ORDER} } }`, { id }, token).then((r) => dataOf(r).order);
const stockOf = async (id: string) => dataOf(await gql(`query($id: ID!) { product(id: $id) { stock } }`, { id })).product.stock;

async function placeAndReserve(token: string, items: { productId: string; quantity: number }[], key?: string) {
  const placed = dataOf(
    await gql(`mutation($input: PlaceOrderInput!, $key: String) { placeOrder(input: $input, idempotencyKey: $key) { ${ORDER} } }`, { input: { items }, key }, token),
  ).placeOrder;
  expect(placed.status).toBe('PENDING');
  expect(placed.total).toBeNull();
  return eventually(() => readOrder(placed.id, token), (order) => order.status !== 'PENDING');
}

const pay = (token: string, orderId: string, card: string, key: string) =>
  gql(
    `mutation($orderId: ID!, $key: String!, $card: String!) { payOrder(orderId: $orderId, idempotencyKey: $key, method: { card: $card }) { id status } }`,
    { orderId, key, card },
    token,
  );

describe('checkout through the gateway', () => {
  it('takes a customer from placeOrder to PAID, pricing the order and taking the stock', async () => {
    const product = await newProduct(5, 1250);
    const customer = await registerCustomer();
    const started = performance.now();
    const reserved = await placeAndReserve(customer.token, [{ productId: product.id, quantity: 2 }], 'first-order');
    expect(reserved.status).toBe('AWAITING_PAYMENT');
    expect(reserved.total).toEqual({ amount: 2500, currency: 'EUR' });
    expect(reserved.items[0]).toMatchObject({ quantity: 2, productName: 'Checkout kite', unitPrice: { amount: 1250 } });
    expect(await stockOf(product.id)).toBe(3);

    const payment = dataOf(await pay(customer.token, reserved.id, '4242 4242 4242 4242', 'pay-first-order')).payOrder;
    expect(payment.status).toBe('PROCESSING');
    const paid = await eventually(() => readOrder(reserved.id, customer.token), (order) => order.status === 'PAID');
    const elapsedMs = performance.now() - started;
    expect(paid.payment).toMatchObject({ id: payment.id, status: 'SUCCEEDED' });
    expect(await stockOf(product.id)).toBe(3);
    console.info(`checkout: placeOrder → PAID through the gateway in ${elapsedMs.toFixed(0)} ms`);

    // The same keys answer the same order and payment, and charge nothing more.
    const again = dataOf(
      await gql(`mutation($input: PlaceOrderInput!) { placeOrder(input: $input, idempotencyKey: "first-order") { id } }`, {
        input: { items: [{ productId: product.id, quantity: 2 }] },
      }, customer.token),
    ).placeOrder;
    expect(again.id).toBe(reserved.id);
    expect(codeOf(await pay(customer.token, reserved.id, '4242424242424242', 'another-key'))).toBe('CONFLICT');
  });

  it("shows the stock a worker reserved at once, though the old stock was cached", async () => {
    const product = await newProduct(5);
    const customer = await registerCustomer();
    expect(await stockOf(product.id)).toBe(5);
    expect(await stockOf(product.id)).toBe(5); // public and cached for 5 s from here
    // Selecting no product keeps the mutation itself from purging it: only the worker may.
    const placed = dataOf(
      await gql(`mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`, {
        input: { items: [{ productId: product.id, quantity: 1 }] },
      }, customer.token),
    ).placeOrder;
    await eventually(() => readOrder(placed.id, customer.token), (order) => order.status === 'AWAITING_PAYMENT');
    expect(await stockOf(product.id)).toBe(4);
  });

  it('shows at once the stock an item removed from an order gives back, though it was cached', async () => {
    const [kept, removed] = await Promise.all([newProduct(5), newProduct(5)]);
    const customer = await registerCustomer();
    const order = await placeAndReserve(customer.token, [{ productId: kept.id, quantity: 1 }, { productId: removed.id, quantity: 2 }]);
    expect(order.status).toBe('AWAITING_PAYMENT');
    expect(await stockOf(removed.id)).toBe(3);
    expect(await stockOf(removed.id)).toBe(3); // cached for 5 s from here
    // Selecting no product keeps the mutation itself from purging it: only the worker may.
    dataOf(await gql(`mutation($orderId: ID!, $productId: ID!) { updateOrderItem(orderId: $orderId, productId: $productId, quantity: 0) { id } }`, { orderId: order.id, productId: removed.id }, customer.token));
    await eventually(() => readOrder(order.id, customer.token), (o) => o.status === 'AWAITING_PAYMENT' && o.items.length === 1);
    expect(await stockOf(removed.id)).toBe(5);
    expect(await stockOf(kept.id)).toBe(4);
  });

  it('shows a declined card and lets the customer pay again', async () => {
    const product = await newProduct(5);
    const customer = await registerCustomer();
    const order = await placeAndReserve(customer.token, [{ productId: product.id, quantity: 1 }]);
    dataOf(await pay(customer.token, order.id, '4000000000000002', 'declined'));
    const declined = await eventually(() => readOrder(order.id, customer.token), (o) => o.payment?.status === 'FAILED');
    expect(declined).toMatchObject({ status: 'AWAITING_PAYMENT', payment: { failureReason: 'card_declined' } });
    dataOf(await pay(customer.token, order.id, '4242424242424242', 'retry'));
    await eventually(() => readOrder(order.id, customer.token), (o) => o.status === 'PAID');
  });

  it('rejects an order that asks for more than the stock, naming the product', async () => {
    const product = await newProduct(1);
    const customer = await registerCustomer();
    const order = await placeAndReserve(customer.token, [{ productId: product.id, quantity: 2 }]);
    expect(order.status).toBe('REJECTED');
    expect(order.statusReason).toMatch(/Checkout kite/);
    expect(await stockOf(product.id)).toBe(1);
  });

  it('refunds and restocks a paid order that is cancelled', async () => {
    const product = await newProduct(4);
    const customer = await registerCustomer();
    const order = await placeAndReserve(customer.token, [{ productId: product.id, quantity: 3 }]);
    dataOf(await pay(customer.token, order.id, '4242424242424242', 'to-refund'));
    await eventually(() => readOrder(order.id, customer.token), (o) => o.status === 'PAID');
    expect(await stockOf(product.id)).toBe(1);
    const cancelled = dataOf(await gql(`mutation($id: ID!) { cancelOrder(id: $id) { status } }`, { id: order.id }, customer.token)).cancelOrder;
    expect(cancelled.status).toBe('CANCELLED');
    await eventually(() => readOrder(order.id, customer.token), (o) => o.payment?.status === 'REFUNDED');
    await eventually(() => stockOf(product.id), (stock) => stock === 4);
    expect(codeOf(await gql(`mutation($id: ID!) { cancelOrder(id: $id) { status } }`, { id: order.id }, customer.token))).toBe('CONFLICT');
  });

  it('never sells more than the stock under a race of 50 customers', async () => {
    const product = await newProduct(10);
    const customers = await Promise.all(Array.from({ length: 50 }, () => registerCustomer()));
    const orders = await Promise.all(customers.map((c) => placeAndReserve(c.token, [{ productId: product.id, quantity: 1 }])));
    expect(orders.filter((o) => o.status === 'AWAITING_PAYMENT')).toHaveLength(10);
    expect(orders.filter((o) => o.status === 'REJECTED')).toHaveLength(40);
    expect(await stockOf(product.id)).toBe(0);
  });

  it('refuses bad checkout input with the contract codes', async () => {
    const customer = await registerCustomer();
    const place = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }`;
    expect(codeOf(await gql(place, { input: { items: [] } }, customer.token))).toBe('BAD_USER_INPUT');
    expect(codeOf(await gql(place, { input: { items: [{ productId: demoProducts[0]!.id, quantity: 0 }] } }, customer.token))).toBe('BAD_USER_INPUT');
    expect(codeOf(await gql(place, { input: { items: [{ productId: 'nope', quantity: 1 }] } }, customer.token))).toBe('BAD_USER_INPUT');
    expect(codeOf(await gql(place, { input: { items: [{ productId: demoProducts[0]!.id, quantity: 1 }] } }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await pay(customer.token, demoProducts[0]!.id, '1234', 'k'))).toBe('BAD_USER_INPUT');
  });
});
