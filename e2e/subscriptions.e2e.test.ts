import { issueToken } from '@shopgraph/common';
import { TEST_JWT_SECRET, testRedisUrl } from '@shopgraph/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { codeOf, dataOf, gatewayUrl, gql, loginAdmin, registerCustomer } from './helpers.js';
import { startGatewayReplica, subscribeMultipart, subscribeWs, waitForResult, wsClient, type Received } from './subscription-clients.js';

const ORDER_UPDATED = `subscription($id: ID!) { orderUpdated(id: $id) { id status total { amount currency } payment { status } items { quantity product { name } } } }`;

const created: string[] = [];
const connection = new Redis(testRedisUrl, { maxRetriesPerRequest: null });
/** A queue of the started platform, held (paused) by a test so the order waits where the test wants it. */
const queueOf = (name: string) => new Queue(name, { connection, prefix: inject('queuePrefix') });

afterAll(async () => {
  const admin = await loginAdmin();
  for (const id of created) dataOf(await gql(`mutation($id: ID!) { deleteProduct(id: $id) }`, { id }, admin.token));
  await connection.quit();
});

async function newProduct(stock: number, amount = 900) {
  const admin = await loginAdmin();
  const input = { sku: `SUB-${Date.now()}-${Math.random().toString(36).slice(2, 7)}`, name: 'Live kite', price: { amount, currency: 'EUR' }, stock };
  const product = dataOf(await gql(`mutation($input: CreateProductInput!) { createProduct(input: $input) { id stock } }`, { input }, admin.token)).createProduct;
  created.push(product.id);
  return product as { id: string; stock: number };
}

const placeOrder = async (token: string, productId: string, quantity = 1) =>
  dataOf(await gql(`mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }`, { input: { items: [{ productId, quantity }] } }, token))
    .placeOrder as { id: string; status: string };

const payOrder = (token: string, orderId: string) =>
  gql(
    `mutation($orderId: ID!, $key: String!) { payOrder(orderId: $orderId, idempotencyKey: $key, method: { card: "4242 4242 4242 4242" }) { status } }`,
    { orderId, key: `pay-${orderId}` },
    token,
  );

/** What a person reads off an order push: its status, or the payment's while the order waits for it. */
const stepOf = (result: Received['results'][number]) => {
  const order = result.data?.orderUpdated;
  return order?.payment?.status === 'PROCESSING' ? 'PROCESSING' : order?.status;
};
const stepsOf = (received: Received) => received.results.map(stepOf);

describe('subscriptions through the gateway', () => {
  it('pushes an order from PENDING to PAID, in order, over graphql-ws and multipart HTTP alike; refuses another user', async () => {
    const product = await newProduct(5, 900);
    const customer = await registerCustomer();
    const stranger = await registerCustomer();
    const reservations = queueOf('reservations');
    const payments = queueOf('payments');
    // Held queues are the handshake: the order stays PENDING (and its payment PROCESSING) until released.
    await reservations.pause();
    await payments.pause();
    const client = wsClient(gatewayUrl(), customer.token);
    const strangerClient = wsClient(gatewayUrl(), stranger.token);
    try {
      const order = await placeOrder(customer.token, product.id, 2);
      const overWs = subscribeWs(client, ORDER_UPDATED, { id: order.id });
      const overHttp = subscribeMultipart(gatewayUrl(), ORDER_UPDATED, { id: order.id }, customer.token);
      expect(await overHttp.status).toBe(200);
      for (const received of [overWs, overHttp]) await waitForResult(received, (r) => r.results.length === 1, 'the order as it is now');
      expect(overWs.results[0]).toEqual({ data: { orderUpdated: { id: order.id, status: 'PENDING', total: null, payment: null, items: [{ quantity: 2, product: { name: 'Live kite' } }] } } });
      expect(overHttp.results[0]).toEqual(overWs.results[0]);

      // Another customer's subscription to the order is refused, as their query would be.
      const refused = subscribeWs(strangerClient, ORDER_UPDATED, { id: order.id });
      await waitForResult(refused, (r) => r.ended, 'the refusal');
      expect(refused.results).toEqual([]);
      expect(refused.refused?.[0]?.extensions?.code).toBe('NOT_FOUND');
      const refusedOverHttp = subscribeMultipart(gatewayUrl(), ORDER_UPDATED, { id: order.id }, stranger.token);
      await refusedOverHttp.status;
      expect(refusedOverHttp.refused?.[0]?.extensions?.code).toBe('NOT_FOUND');

      await reservations.resume();
      for (const received of [overWs, overHttp]) await waitForResult(received, (r) => r.results.length === 2, 'AWAITING_PAYMENT');
      expect(overWs.results[1]?.data?.orderUpdated).toMatchObject({ status: 'AWAITING_PAYMENT', total: { amount: 1800, currency: 'EUR' } });

      expect(dataOf(await payOrder(customer.token, order.id)).payOrder.status).toBe('PROCESSING');
      for (const received of [overWs, overHttp]) await waitForResult(received, (r) => r.results.length === 3, 'the payment PROCESSING');
      await payments.resume();
      for (const received of [overWs, overHttp]) await waitForResult(received, (r) => r.results.length === 4, 'PAID');

      for (const received of [overWs, overHttp]) {
        expect(stepsOf(received)).toEqual(['PENDING', 'AWAITING_PAYMENT', 'PROCESSING', 'PAID']);
        expect(received.results[3]?.data?.orderUpdated.payment).toEqual({ status: 'SUCCEEDED' });
      }
      overWs.stop();
      overHttp.stop();
    } finally {
      await reservations.resume();
      await payments.resume();
      await client.dispose();
      await strangerClient.dispose();
    }
  });

  it('ends a subscription with UNAUTHENTICATED when its session ends, and when its token expires', async () => {
    const product = await newProduct(5);
    const customer = await registerCustomer();
    const admin = await loginAdmin();
    const order = await placeOrder(customer.token, product.id);
    const client = wsClient(gatewayUrl(), customer.token);
    try {
      const watching = subscribeWs(client, `subscription($id: ID!) { orderUpdated(id: $id) { status } }`, { id: order.id });
      await waitForResult(watching, (r) => r.results.length >= 1, 'the first push');
      expect(dataOf(await gql(`mutation { logout }`, {}, customer.token)).logout).toBe(true);
      // The order's next change finds the session ended.
      dataOf(await gql(`mutation($id: ID!) { cancelOrder(id: $id) { status } }`, { id: order.id }, admin.token));
      await waitForResult(watching, (r) => r.ended, 'the end of the subscription');
      expect(watching.results.at(-1)?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      expect(watching.results.some((result) => result.data?.orderUpdated?.status === 'CANCELLED')).toBe(false);
    } finally {
      await client.dispose();
    }

    // A token that runs out while nothing happens: the subscription ends at its expiry.
    const shortLived = await issueToken(TEST_JWT_SECRET, { id: customer.userId, role: 'CUSTOMER' }, { ttlS: 3 });
    const http = subscribeMultipart(gatewayUrl(), `subscription($ids: [ID!]!) { productStock(ids: $ids) { id stock } }`, { ids: [product.id] }, shortLived);
    expect(await http.status).toBe(200);
    await waitForResult(http, (r) => r.ended, 'the end at the token expiry');
    // Its stock depends on how far the cancelled order's release got: the product is what counts.
    expect(http.results[0]?.data?.productStock).toMatchObject({ id: product.id });
    expect(http.results.at(-1)?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('pushes stock changes to anyone watching a product, and refuses what the graph does not serve', async () => {
    const product = await newProduct(7);
    const customer = await registerCustomer();
    const client = wsClient(gatewayUrl());
    try {
      const watching = subscribeWs(client, `subscription($ids: [ID!]!) { productStock(ids: $ids) { id stock } }`, { ids: [product.id] });
      await waitForResult(watching, (r) => r.results.length === 1, 'the product as it is now');
      expect(watching.results[0]?.data?.productStock).toEqual({ id: product.id, stock: 7 });
      // A reservation (a worker) takes stock; the push shows it.
      await placeOrder(customer.token, product.id, 3);
      await waitForResult(watching, (r) => r.results.some((result) => result.data?.productStock.stock === 4), 'the stock after the reservation');
      // A restock (a mutation through the gateway) adds it back.
      const admin = await loginAdmin();
      dataOf(await gql(`mutation($id: ID!) { restockProduct(id: $id, quantity: 10) { stock } }`, { id: product.id }, admin.token));
      await waitForResult(watching, (r) => r.results.some((result) => result.data?.productStock.stock === 14), 'the stock after the restock');
      expect(watching.results.map((result) => result.data?.productStock.stock)).toEqual([7, 4, 14]);

      const unknown = subscribeWs(client, `subscription { productStock(ids: ["00000000-0000-4000-8000-000000000000"]) { id } }`, {});
      await waitForResult(unknown, (r) => r.ended, 'the refusal of a missing product');
      expect(unknown.refused?.[0]?.extensions?.code ?? unknown.results[0]?.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    } finally {
      await client.dispose();
    }
    // 25 subscriptions per connection (SUBSCRIPTIONS_PER_CONNECTION): the 26th is refused with a code.
    const busy = wsClient(gatewayUrl());
    try {
      const open = Array.from({ length: 25 }, () => subscribeWs(busy, `subscription($ids: [ID!]!) { productStock(ids: $ids) { id } }`, { ids: [product.id] }));
      for (const received of open) await waitForResult(received, (r) => r.results.length === 1, 'each of 25 subscriptions open');
      const oneTooMany = subscribeWs(busy, `subscription($ids: [ID!]!) { productStock(ids: $ids) { id } }`, { ids: [product.id] });
      await waitForResult(oneTooMany, (r) => r.ended, 'the refusal of the 26th');
      expect(oneTooMany.refused?.[0]?.extensions?.code).toBe('RATE_LIMITED');
      expect(open.every((received) => !received.ended)).toBe(true);
    } finally {
      await busy.dispose();
    }
    // A subscription over plain JSON is refused with a code, never a 500.
    const plain = await gql(`subscription { productStock(ids: ["${product.id}"]) { id } }`);
    expect(codeOf(plain)).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(plain.errors?.[0]?.message).toMatch(/graphql-ws .* multipart/);
  });

  it('serves subscribers of one order on two gateway replicas; a client whose gateway is killed reconnects to the other and catches up', async () => {
    const [first, second] = await Promise.all([startGatewayReplica(inject('gatewayEnv')), startGatewayReplica(inject('gatewayEnv'))]);
    const product = await newProduct(5, 700);
    const customer = await registerCustomer();
    const reservations = queueOf('reservations');
    await reservations.pause();
    // The client tries the first replica, then the second, as a load balancer would send it.
    let connections = 0;
    const client = wsClient(() => (connections++ === 0 ? first.url : second.url), customer.token, { retryAttempts: 10 });
    try {
      const order = await placeOrder(customer.token, product.id);
      const onFirst = subscribeWs(client, ORDER_UPDATED, { id: order.id });
      const onSecond = subscribeMultipart(second.url, ORDER_UPDATED, { id: order.id }, customer.token);
      for (const received of [onFirst, onSecond]) await waitForResult(received, (r) => r.results.length === 1, 'PENDING on each replica');

      first.process.kill('SIGKILL');
      await first.exited;
      // The order moves on while the client has no gateway.
      await reservations.resume();
      await waitForResult(onSecond, (r) => r.results.length === 2, 'AWAITING_PAYMENT on the second replica');
      // Reconnected to the second replica: its first push there is the order as it is now.
      await waitForResult(onFirst, (r) => stepsOf(r).includes('AWAITING_PAYMENT'), 'the catch-up after reconnecting');
      expect(connections).toBeGreaterThanOrEqual(2);

      expect(dataOf(await payOrder(customer.token, order.id)).payOrder.status).toBe('PROCESSING');
      for (const received of [onFirst, onSecond]) await waitForResult(received, (r) => stepsOf(r).at(-1) === 'PAID', 'PAID on each');
      expect(stepsOf(onSecond).filter((step) => step !== 'PROCESSING')).toEqual(['PENDING', 'AWAITING_PAYMENT', 'PAID']);
      // Never an older state after a newer one, across the reconnect.
      const rank = ['PENDING', 'AWAITING_PAYMENT', 'PROCESSING', 'PAID'];
      const ranks = stepsOf(onFirst).map((step) => rank.indexOf(step));
      expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
      expect(ranks[0]).toBe(0);

      // A gateway stopped as an orchestrator stops it ends its streams with a word to subscribe again
      // (the WebSocket client is gone first: it would try to reconnect to a port nobody listens on).
      await client.dispose();
      second.process.kill('SIGTERM');
      await waitForResult(onSecond, (r) => r.ended, 'the end of the stream at shutdown');
      expect(onSecond.results.at(-1)?.errors?.[0]?.extensions?.code).toBe('SHUTTING_DOWN');
    } finally {
      await reservations.resume();
      await client.dispose();
      for (const replica of [first, second]) replica.process.kill('SIGTERM');
      await Promise.all([first.exited, second.exited]);
    }
  });
});
