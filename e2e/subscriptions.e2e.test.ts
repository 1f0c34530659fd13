import { issueToken } from '@shopgraph/common';
import { subgraphRequest, TEST_JWT_SECRET, testRedisUrl, waitFor } from '@shopgraph/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import pg from 'pg';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { codeOf, dataOf, gatewayUrl, gql, login, loginAdmin, registerCustomer } from './helpers.js';
import {
  rawGraphqlWs,
  startGatewayReplica,
  subscribeMultipart,
  subscribeWs,
  waitForResult,
  wsClient,
  type GatewayReplica,
  type Received,
} from './subscription-clients.js';

const ORDER_UPDATED = `subscription($id: ID!) { orderUpdated(id: $id) { id status total { amount currency } payment { status } items { quantity product { name } } } }`;

const created: string[] = [];
const connection = new Redis(testRedisUrl, { maxRetriesPerRequest: null });
/** A queue of the started platform, held (paused) by a test so a job BullMQ holds waits where the test wants it. */
const queueOf = (name: string) => new Queue(name, { connection, prefix: inject('queuePrefix') });

/**
 * Holds the reservation of every order of `productId` until released: the reserve saga locks the
 * product's row (`for update`, subgraphs/products/src/services/inventory-service.ts) and waits for
 * this transaction. A paused queue cannot hold it: the outbox relay runs a job in its own process
 * when it can (workers/src/direct-dispatch.ts). Reads of the product are not held.
 */
async function holdReservations(productId: string): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: inject('databaseUrl') });
  await client.connect();
  await client.query('begin');
  await client.query('select id from products.products where id = $1 for update', [productId]);
  let released: Promise<void> | undefined;
  return { release: () => (released ??= client.query('commit').then(() => client.end())) };
}

/**
 * The card whose first two charges fail with a provider error: the first, run by the outbox
 * relay, hands the job to BullMQ, which a paused `payments` queue then holds with the payment
 * PROCESSING; resumed, it charges (payment-provider/src/cards.ts).
 */
const TWICE_FAILING_CARD = '4000000000000119';

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

const payOrder = (token: string, orderId: string, card = '4242 4242 4242 4242') =>
  gql(
    `mutation($orderId: ID!, $key: String!, $card: String!) { payOrder(orderId: $orderId, idempotencyKey: $key, method: { card: $card }) { status } }`,
    { orderId, key: `pay-${orderId}-${card.replaceAll(' ', '')}`, card },
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
    // The handshakes: the order stays PENDING, and its payment PROCESSING, until released.
    const reservations = await holdReservations(product.id);
    const payments = queueOf('payments');
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

      await reservations.release();
      for (const received of [overWs, overHttp]) await waitForResult(received, (r) => r.results.length === 2, 'AWAITING_PAYMENT');
      expect(overWs.results[1]?.data?.orderUpdated).toMatchObject({ status: 'AWAITING_PAYMENT', total: { amount: 1800, currency: 'EUR' } });

      expect(dataOf(await payOrder(customer.token, order.id, TWICE_FAILING_CARD)).payOrder.status).toBe('PROCESSING');
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
      await reservations.release();
      await payments.resume();
      await client.dispose();
      await strangerClient.dispose();
    }
  });

  it('pushes a declined payment with its reason, then the order paid by the next card', async () => {
    const product = await newProduct(5, 500);
    const customer = await registerCustomer();
    const client = wsClient(gatewayUrl(), customer.token);
    const statusOf = (received: Received) => received.results.at(-1)?.data?.orderUpdated;
    // Paid at the payments subgraph, as the gateway would call it, but without the gateway: no
    // event of the mutation, so only the worker's, after the charge committed, can push the outcome.
    const payments = { url: inject('gatewayEnv').PAYMENTS_URL!, name: 'payments' };
    const payAtSubgraph = async (orderId: string, card: string) =>
      dataOf(
        await subgraphRequest(
          payments,
          `mutation($orderId: ID!, $key: String!, $card: String!) { payOrder(orderId: $orderId, idempotencyKey: $key, method: { card: $card }) { status } }`,
          { orderId, key: `pay-${orderId}-${card}`, card },
          { id: customer.userId, role: 'CUSTOMER' },
        ),
      ).payOrder.status;
    try {
      const order = await placeOrder(customer.token, product.id);
      const watching = subscribeWs(client, `subscription($id: ID!) { orderUpdated(id: $id) { status payment { status failureReason } } }`, { id: order.id });
      await waitForResult(watching, (r) => statusOf(r)?.status === 'AWAITING_PAYMENT', 'AWAITING_PAYMENT');
      expect(await payAtSubgraph(order.id, '4000000000000002')).toBe('PROCESSING');
      await waitForResult(watching, (r) => statusOf(r)?.payment?.status === 'FAILED', 'the declined payment');
      expect(statusOf(watching)).toEqual({ status: 'AWAITING_PAYMENT', payment: { status: 'FAILED', failureReason: 'card_declined' } });

      expect(await payAtSubgraph(order.id, '4242424242424242')).toBe('PROCESSING');
      await waitForResult(watching, (r) => statusOf(r)?.status === 'PAID', 'PAID');
      expect(statusOf(watching)).toEqual({ status: 'PAID', payment: { status: 'SUCCEEDED', failureReason: null } });
      expect(watching.ended).toBe(false);
    } finally {
      await client.dispose();
    }
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
    const reservations = await holdReservations(product.id);
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
      await reservations.release();
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
      await reservations.release();
      await client.dispose();
      for (const replica of [first, second]) replica.process.kill('SIGTERM');
      await Promise.all([first.exited, second.exited]);
    }
  });
});

/**
 * A replica with small limits and short timers, beside the platform's gateway (which keeps the
 * defaults). The session recheck, a safety net, is out of reach here: only the announcement of an
 * ended session, or the token's expiry, can end a subscription in these tests.
 */
const LIMITED = {
  SUBSCRIPTIONS_PER_USER: '3',
  SUBSCRIPTIONS_MESSAGES_PER_10S: '12',
  SUBSCRIPTIONS_HEARTBEAT_MS: '1000',
  SUBSCRIPTIONS_IDLE_TIMEOUT_MS: '2000',
  SUBSCRIPTIONS_SESSION_RECHECK_MS: '3600000',
};

describe('subscriptions: ended sessions, limits, heartbeats', () => {
  let replica: GatewayReplica;
  beforeAll(async () => {
    replica = await startGatewayReplica({ ...inject('gatewayEnv'), ...LIMITED });
  });
  afterAll(async () => {
    replica?.process.kill('SIGTERM');
    await replica?.exited;
  });

  const ORDER_STATUS = `subscription($id: ID!) { orderUpdated(id: $id) { status } }`;
  const statusOf = (received: Received) => received.results.at(-1)?.data?.orderUpdated?.status;
  const codeAtEnd = (received: Received) => received.results.at(-1)?.errors?.[0]?.extensions?.code;

  it('a logout ends that session’s subscriptions on every gateway at once, with no event of the order; logoutEverywhere the rest', async () => {
    const product = await newProduct(5);
    const customer = await registerCustomer();
    const otherSession = await login(customer.email, 'correct horse battery');
    const order = await placeOrder(customer.token, product.id);
    const client = wsClient(gatewayUrl(), customer.token);
    const otherClient = wsClient(replica.url, otherSession.token);
    try {
      const onMain = subscribeWs(client, ORDER_STATUS, { id: order.id });
      const onReplica = subscribeMultipart(replica.url, ORDER_STATUS, { id: order.id }, customer.token);
      const ofOtherSession = subscribeWs(otherClient, ORDER_STATUS, { id: order.id });
      // AWAITING_PAYMENT is where the order rests: no event of it follows until the admin cancels it below.
      for (const received of [onMain, onReplica, ofOtherSession]) await waitForResult(received, (r) => statusOf(r) === 'AWAITING_PAYMENT', 'AWAITING_PAYMENT');

      expect(dataOf(await gql(`mutation { logout }`, {}, customer.token)).logout).toBe(true);
      for (const received of [onMain, onReplica]) await waitForResult(received, (r) => r.ended, 'the end of the logged-out session’s subscription');
      expect([onMain, onReplica].map(codeAtEnd)).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED']);

      // The user's other session still watches: the order's next change reaches it.
      const admin = await loginAdmin();
      dataOf(await gql(`mutation($id: ID!) { cancelOrder(id: $id) { status } }`, { id: order.id }, admin.token));
      await waitForResult(ofOtherSession, (r) => statusOf(r) === 'CANCELLED', 'CANCELLED for the other session');
      expect(dataOf(await gql(`mutation { logoutEverywhere }`, {}, otherSession.token)).logoutEverywhere).toBe(true);
      await waitForResult(ofOtherSession, (r) => r.ended, 'the end after logoutEverywhere');
      expect(codeAtEnd(ofOtherSession)).toBe('UNAUTHENTICATED');
    } finally {
      await client.dispose();
      await otherClient.dispose();
    }
  });

  it('a token that runs out while nothing happens ends its subscriptions at its expiry, over both transports', async () => {
    const product = await newProduct(5);
    const customer = await registerCustomer();
    const shortLived = await issueToken(TEST_JWT_SECRET, { id: customer.userId, role: 'CUSTOMER' }, { ttlS: 4 });
    const client = wsClient(replica.url, shortLived);
    try {
      const PRODUCT_STOCK = `subscription($ids: [ID!]!) { productStock(ids: $ids) { id stock } }`;
      const overHttp = subscribeMultipart(gatewayUrl(), PRODUCT_STOCK, { ids: [product.id] }, shortLived);
      const overWs = subscribeWs(client, PRODUCT_STOCK, { ids: [product.id] });
      expect(await overHttp.status).toBe(200);
      for (const received of [overHttp, overWs]) {
        await waitForResult(received, (r) => r.ended, 'the end at the token expiry');
        expect(received.results[0]?.data?.productStock).toEqual({ id: product.id, stock: 5 });
        expect(codeAtEnd(received)).toBe('UNAUTHENTICATED');
      }
    } finally {
      await client.dispose();
    }
  });

  it('refuses a user’s subscription past SUBSCRIPTIONS_PER_USER over either transport, and takes one again once another ended', async () => {
    const product = await newProduct(5);
    const customer = await registerCustomer();
    const PRODUCT = `subscription($ids: [ID!]!) { productStock(ids: $ids) { id } }`;
    const client = wsClient(replica.url, customer.token);
    try {
      const open = [
        subscribeWs(client, PRODUCT, { ids: [product.id] }),
        subscribeWs(client, PRODUCT, { ids: [product.id] }),
        subscribeMultipart(replica.url, PRODUCT, { ids: [product.id] }, customer.token),
      ];
      for (const received of open) await waitForResult(received, (r) => r.results.length === 1, 'each of three open');
      const overHttp = subscribeMultipart(replica.url, PRODUCT, { ids: [product.id] }, customer.token);
      await overHttp.status;
      expect(overHttp.refused?.[0]?.extensions?.code).toBe('RATE_LIMITED');
      // A second connection of the same user counts against the same limit.
      const secondClient = wsClient(replica.url, customer.token);
      try {
        const overWs = subscribeWs(secondClient, PRODUCT, { ids: [product.id] });
        await waitForResult(overWs, (r) => r.ended, 'the refusal over graphql-ws');
        expect(overWs.refused?.[0]?.extensions?.code).toBe('RATE_LIMITED');
        // Another user is not counted with this one.
        const other = await registerCustomer();
        const ofOther = subscribeMultipart(replica.url, PRODUCT, { ids: [product.id] }, other.token);
        await waitForResult(ofOther, (r) => r.results.length === 1, 'another user’s subscription');
        ofOther.stop();

        open[0]!.stop();
        // The gateway hears of the end after the client has moved on: asked again until it has.
        const again = await waitFor(
          async () => {
            const attempt = subscribeWs(secondClient, PRODUCT, { ids: [product.id] });
            await waitForResult(attempt, (r) => r.results.length === 1 || r.ended, 'an answer to the subscription');
            if (attempt.results.length === 1) return attempt;
            expect(attempt.refused?.[0]?.extensions?.code).toBe('RATE_LIMITED');
            return undefined;
          },
          { timeoutMs: 30_000, intervalMs: 50, what: 'a subscription taken once one ended' },
        );
        expect(again.ended).toBe(false);
        again.stop();
      } finally {
        await secondClient.dispose();
      }
      for (const received of open) received.stop();
    } finally {
      await client.dispose();
    }
  });
  it('closes a graphql-ws connection that sends more than SUBSCRIPTIONS_MESSAGES_PER_10S with 4429, and not one that keeps under it', async () => {
    const socket = await rawGraphqlWs(replica.url);
    try {
      // connection_init was the first of 12; 11 pings more are answered, one by one.
      for (let ping = 1; ping <= 11; ping++) {
        socket.send({ type: 'ping' });
        await waitFor(() => (socket.messages.filter((message) => message.type === 'pong').length === ping ? true : undefined), { what: `pong ${ping}` });
      }
      expect(socket.socket.readyState).toBe(WebSocket.OPEN);
      for (let burst = 0; burst < 20; burst++) socket.send({ type: 'ping' });
      expect(await socket.closed).toMatchObject({ code: 4429, reason: 'Too many messages' });
    } finally {
      socket.socket.terminate();
    }
  });

  it('pings graphql-ws peers and drops one that never answers; sends multipart heartbeats; closes a connection idle for SUBSCRIPTIONS_IDLE_TIMEOUT_MS', async () => {
    const product = await newProduct(5);
    const started = performance.now();
    // Connected first, with a subscription: idle it is not, and it answers pings.
    const busy = await rawGraphqlWs(replica.url);
    busy.send({ id: 'p', type: 'subscribe', payload: { query: `subscription($ids: [ID!]!) { productStock(ids: $ids) { id } }`, variables: { ids: [product.id] } } });
    const overHttp = subscribeMultipart(replica.url, `subscription($ids: [ID!]!) { productStock(ids: $ids) { id } }`, { ids: [product.id] });
    const idle = await rawGraphqlWs(replica.url);
    const silent = await rawGraphqlWs(replica.url, { autoPong: false });
    silent.send({ id: 's', type: 'subscribe', payload: { query: `subscription($ids: [ID!]!) { productStock(ids: $ids) { id } }`, variables: { ids: [product.id] } } });
    try {
      const closedIdle = await idle.closed;
      expect(closedIdle).toMatchObject({ code: 1000, reason: 'Idle: no subscription' });
      expect(closedIdle.at - started).toBeGreaterThanOrEqual(Number(LIMITED.SUBSCRIPTIONS_IDLE_TIMEOUT_MS));
      // A peer that lets the pings go unanswered is cut off (no close frame: 1006), subscription or not.
      expect((await silent.closed).code).toBe(1006);
      expect(silent.pings).toBeGreaterThanOrEqual(1);
      await waitFor(() => (busy.pings >= 2 && overHttp.heartbeats >= 2 ? true : undefined), { timeoutMs: 30_000, what: 'two pings and two heartbeats' });
      expect(busy.socket.readyState).toBe(WebSocket.OPEN);
      expect(busy.messages.find((message) => message.type === 'next')).toMatchObject({ id: 'p', payload: { data: { productStock: { id: product.id } } } });
      expect(overHttp.ended).toBe(false);
    } finally {
      overHttp.stop();
      for (const socket of [busy, idle, silent]) socket.socket.terminate();
    }
  });
});
