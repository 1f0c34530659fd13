import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { createDb, createLogger, type Db, type Viewer } from '@shopgraph/common';
import type { RunningServer } from '@shopgraph/common/subgraph';
import { createHttpPaymentProvider, type PaymentProvider } from '@shopgraph/payment-provider';
import { createTestDatabase, startHoldingProxy, subgraphRequest, TEST_PAYMENT_PROVIDER_KEY, testEnv, type HoldingProxy, type TestDatabase } from '@shopgraph/testing';
import { eq, sql } from 'drizzle-orm';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig as loadProviderConfig } from '../../../payment-provider/src/env.js';
import { createPaymentProviderServer, type RunningProvider } from '../../../payment-provider/src/server.js';
import { outbox, payableOrders, payments } from './db/schema.js';
import { loadConfig } from './env.js';
import { createPaymentsServer } from './server.js';
import { chargePayment, closePayableOrder, recordPayableOrder } from './services/charges.js';

const CARDS = {
  succeeds: '4242424242424242',
  declined: '4000000000000002',
  insufficientFunds: '4000000000009995',
};
/** Every card number this file sends: none may be found in a row or a log line. */
const sentCards = [...Object.values(CARDS), '4242 4242 4242 4242', '4242-4242-4242-4241'];

const alice: Viewer = { id: randomUUID(), role: 'CUSTOMER' };
const bob: Viewer = { id: randomUUID(), role: 'CUSTOMER' };
const admin: Viewer = { id: randomUUID(), role: 'ADMIN' };

const PAY = `mutation($orderId: ID!, $key: String!, $card: String!) {
  payOrder(orderId: $orderId, idempotencyKey: $key, method: { card: $card }) {
    id order { id } amount { amount currency } status failureReason createdAt updatedAt
  }
}`;
const PAYMENT = `query($id: ID!) { payment(id: $id) { id status } }`;

// Everything the subgraph logs, at the most verbose level (SQL included), to look for card numbers.
const logLines: string[] = [];
const logger = pino(
  { level: 'trace' },
  new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  }),
);

let database: TestDatabase;
let providerServer: RunningProvider;
/** Between payments and the provider: a race test holds tokenizations until every racer has one. */
let providerProxy: HoldingProxy;
let provider: PaymentProvider;
let server: RunningServer;
let url: string;
let db: Db;

const pay = (viewer: Viewer | null, orderId: string, key: string, card: string = CARDS.succeeds) =>
  subgraphRequest({ url, name: 'payments' }, PAY, { orderId, key, card }, viewer);

/** An order that reached AWAITING_PAYMENT, as the reserve-stock processor records it. */
async function payableOrder(owner: Viewer, amount = 4430): Promise<string> {
  const orderId = randomUUID();
  await recordPayableOrder(db, { orderId, userId: owner.id, total: { amount, currency: 'EUR' }, version: 1 });
  return orderId;
}

/**
 * `count` payOrder calls at once, each held after tokenizing until all have found no payment under
 * their key and tokenized: then they race for the transaction.
 */
async function racing<T>(count: number, call: (index: number) => Promise<T>): Promise<T[]> {
  const tokens = providerProxy.hold('/v1/tokens', count);
  const calls = Promise.all(Array.from({ length: count }, (_, index) => call(index)));
  await tokens.held;
  tokens.release();
  return calls;
}

const paymentsOf = (orderId: string) => db.select().from(payments).where(eq(payments.orderId, orderId));
const outboxOf = (paymentId: string) => db.select().from(outbox).where(sql`${outbox.payload}->>'paymentId' = ${paymentId}`);

beforeAll(async () => {
  database = await createTestDatabase();
  providerServer = createPaymentProviderServer({ ...loadProviderConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', PAYMENT_PROVIDER_KEY: TEST_PAYMENT_PROVIDER_KEY }), latencyMs: 0 });
  const providerUrl = await providerServer.listen(0, '127.0.0.1');
  provider = createHttpPaymentProvider(providerUrl, { timeoutMs: 5000, apiKey: TEST_PAYMENT_PROVIDER_KEY });
  providerProxy = await startHoldingProxy(providerUrl);
  const config = loadConfig(testEnv(database.url, { PAYMENT_PROVIDER_URL: providerProxy.url }));
  server = await createPaymentsServer(config, logger);
  url = await server.listen(0, '127.0.0.1');
  // The test's own connection, as the payments role: the workers' side of the flow.
  db = createDb({ url: database.url, subgraph: 'payments', logger: createLogger('payments-test', 'silent'), max: 4 });
});

afterAll(async () => {
  await db?.$client.end();
  await server?.close();
  await providerProxy?.close();
  await providerServer?.close();
  await database?.drop();
});

describe('payOrder', () => {
  it('records a PROCESSING payment and its charge job in one transaction, keeping only token and last four digits', async () => {
    const orderId = await payableOrder(alice, 4430);
    const result = await pay(alice, orderId, 'first-try', '4242 4242 4242 4242');
    expect(result.errors).toBeUndefined();
    const payment = result.data!.payOrder;
    expect(payment).toMatchObject({
      order: { id: orderId },
      amount: { amount: 4430, currency: 'EUR' },
      status: 'PROCESSING',
      failureReason: null,
    });
    expect(payment.updatedAt).toBe(payment.createdAt);

    const rows = await paymentsOf(orderId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: payment.id,
      userId: alice.id,
      orderVersion: 1,
      cardLast4: '4242',
      providerToken: expect.stringMatching(/^tok_\w+$/),
      providerChargeId: null,
      idempotencyKey: 'first-try',
    });
    const jobs = await outboxOf(payment.id);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({
      queue: 'payments',
      jobName: 'charge-payment',
      jobId: `charge-${payment.id}`,
      payload: { paymentId: payment.id },
      sentAt: null,
    });
    // Rows written by one transaction carry its id in xmin.
    const writers = await db.execute<{ xmin: string }>(sql`
      select xmin::text from ${payments} where id = ${payment.id}
      union all select xmin::text from ${outbox} where job_id = ${`charge-${payment.id}`}`);
    expect(writers.rows).toHaveLength(2);
    expect(new Set(writers.rows.map((row) => row.xmin)).size).toBe(1);
  });

  it('lets the owner see the payment it started', async () => {
    const orderId = await payableOrder(alice);
    const started = await pay(alice, orderId, 'visible');
    const seen = await subgraphRequest({ url, name: 'payments' }, PAYMENT, { id: started.data!.payOrder.id }, alice);
    expect(seen.data!.payment).toEqual({ id: started.data!.payOrder.id, status: 'PROCESSING' });
  });

  it('answers 20 parallel requests with one key with one payment and one charge job', async () => {
    const orderId = await payableOrder(bob);
    const results = await racing(20, () => pay(bob, orderId, 'double-click'));
    expect(results.flatMap((result) => result.errors ?? [])).toEqual([]);
    const ids = new Set(results.map((result) => result.data!.payOrder.id));
    expect(ids.size).toBe(1);
    expect(await paymentsOf(orderId)).toHaveLength(1);
    expect(await outboxOf([...ids][0]!)).toHaveLength(1);
  });

  it('answers the same key with the same payment later, also once the order is paid', async () => {
    const orderId = await payableOrder(alice);
    const first = await pay(alice, orderId, 'replayed');
    await chargePayment(db, provider, first.data!.payOrder.id);
    const again = await pay(alice, orderId, 'replayed');
    expect(again.errors).toBeUndefined();
    expect(again.data!.payOrder.id).toBe(first.data!.payOrder.id);
  });

  it('refuses the same key for another order or another card with CONFLICT', async () => {
    const orderId = await payableOrder(alice);
    const otherOrderId = await payableOrder(alice);
    const first = await pay(alice, orderId, 'reused');
    expect(first.errors).toBeUndefined();

    const otherOrder = await pay(alice, otherOrderId, 'reused');
    expect(otherOrder.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'idempotencyKey' });
    const otherCard = await pay(alice, orderId, 'reused', CARDS.declined);
    expect(otherCard.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'idempotencyKey' });
    expect(await paymentsOf(otherOrderId)).toEqual([]);
    expect(await paymentsOf(orderId)).toHaveLength(1);
  });

  it('lets one of two orders racing for the same key win; the other is CONFLICT', async () => {
    const orders = [await payableOrder(bob), await payableOrder(bob)];
    const results = await racing(10, (index) => pay(bob, orders[index % 2]!, 'raced-key'));
    const paid = results.filter((result) => !result.errors);
    const refused = results.filter((result) => result.errors);
    expect(new Set(paid.map((result) => result.data!.payOrder.id)).size).toBe(1);
    expect(refused.map((result) => result.errors![0]!.extensions!.code)).toEqual(refused.map(() => 'CONFLICT'));
    const rows = [...(await paymentsOf(orders[0]!)), ...(await paymentsOf(orders[1]!))];
    expect(rows).toHaveLength(1);
    expect(paid).toHaveLength(5);
    expect(paid.every((result) => result.data!.payOrder.order.id === rows[0]!.orderId)).toBe(true);
  });

  it('scopes keys to the order’s owner: another customer may use the same key', async () => {
    const aliceOrder = await payableOrder(alice);
    const bobOrder = await payableOrder(bob);
    const [forAlice, forBob] = await Promise.all([pay(alice, aliceOrder, 'shared-key'), pay(bob, bobOrder, 'shared-key')]);
    expect(forAlice.errors).toBeUndefined();
    expect(forBob.errors).toBeUndefined();
    expect(forAlice.data!.payOrder.id).not.toBe(forBob.data!.payOrder.id);
  });

  it('refuses a second payment while one is PROCESSING', async () => {
    const orderId = await payableOrder(alice);
    const first = await pay(alice, orderId, 'one');
    const second = await pay(alice, orderId, 'two');
    expect(second.data).toBeNull();
    expect(second.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', orderId, paymentId: first.data!.payOrder.id });
    expect(second.errors?.[0]?.message).toMatch(/in progress/);
  });

  it('refuses a second payment after one succeeded, before the order is marked PAID', async () => {
    const orderId = await payableOrder(alice);
    const first = await pay(alice, orderId, 'paid-once');
    await expect(chargePayment(db, provider, first.data!.payOrder.id)).resolves.toMatchObject({ status: 'SUCCEEDED' });
    // The charge closed the payable order in the transaction that recorded it.
    const second = await pay(alice, orderId, 'paid-twice');
    expect(second.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', orderId });
    expect(second.errors?.[0]?.message).toBe(`Order ${orderId} is not awaiting payment.`);
    // Even with the payable order open (a payment settled before the charge closed it), the
    // succeeded payment refuses another.
    await db.update(payableOrders).set({ status: 'AWAITING_PAYMENT' }).where(eq(payableOrders.orderId, orderId));
    const third = await pay(alice, orderId, 'paid-thrice');
    expect(third.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', orderId });
    expect(third.errors?.[0]?.message).toMatch(/already been paid/);
  });

  it('lets the customer pay again after a decline', async () => {
    const orderId = await payableOrder(alice);
    const declined = await pay(alice, orderId, 'declined', CARDS.declined);
    await expect(chargePayment(db, provider, declined.data!.payOrder.id)).resolves.toMatchObject({ status: 'FAILED' });
    const retry = await pay(alice, orderId, 'retry', CARDS.succeeds);
    expect(retry.errors).toBeUndefined();
    expect(retry.data!.payOrder).toMatchObject({ status: 'PROCESSING', amount: { amount: 4430 } });
    expect((await paymentsOf(orderId)).map((row) => row.status).sort()).toEqual(['FAILED', 'PROCESSING']);
  });

  it('refuses an order that is no longer awaiting payment (CLOSED or PAID) with CONFLICT', async () => {
    const closed = await payableOrder(alice);
    await closePayableOrder(db, { orderId: closed });
    const paid = await payableOrder(alice);
    // As a succeeded charge leaves it, with no payment of this customer's to find.
    await db.update(payableOrders).set({ status: 'PAID' }).where(eq(payableOrders.orderId, paid));
    for (const orderId of [closed, paid]) {
      const result = await pay(alice, orderId, `late-${orderId}`);
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', orderId });
      expect(result.errors?.[0]?.message).toBe(`Order ${orderId} is not awaiting payment.`);
      expect(await paymentsOf(orderId)).toEqual([]);
    }
  });

  it('charges what the newest version of the order costs', async () => {
    const orderId = await payableOrder(alice, 1000);
    await recordPayableOrder(db, { orderId, userId: alice.id, total: { amount: 2500, currency: 'EUR' }, version: 2 });
    const result = await pay(alice, orderId, 'versioned');
    expect(result.data!.payOrder.amount).toEqual({ amount: 2500, currency: 'EUR' });
    expect((await paymentsOf(orderId))[0]!.orderVersion).toBe(2);
  });

  it('answers another customer exactly as it answers an unknown order; an admin may pay it', async () => {
    const orderId = await payableOrder(alice);
    const unknownId = randomUUID();
    const other = await pay(bob, orderId, 'not-mine');
    const unknown = await pay(bob, unknownId, 'not-mine');
    expect(other.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', typename: 'Order', id: orderId });
    expect(other.errors![0]!.message.replace(orderId, '<id>')).toBe(unknown.errors![0]!.message.replace(unknownId, '<id>'));
    expect(await paymentsOf(orderId)).toEqual([]);

    const byAdmin = await pay(admin, orderId, 'admin-pays');
    expect(byAdmin.errors).toBeUndefined();
    // The payment is the owner's: they see it, and the admin's key lives among the owner's keys.
    const seen = await subgraphRequest({ url, name: 'payments' }, PAYMENT, { id: byAdmin.data!.payOrder.id }, alice);
    expect(seen.data!.payment.status).toBe('PROCESSING');
    expect((await paymentsOf(orderId))[0]).toMatchObject({ userId: alice.id, idempotencyKey: 'admin-pays' });
  });

  it('asks anonymous callers to sign in', async () => {
    const orderId = await payableOrder(alice);
    const result = await pay(null, orderId, 'anonymous');
    expect(result.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(await paymentsOf(orderId)).toEqual([]);
  });

  it('refuses malformed input with BAD_USER_INPUT naming the field', async () => {
    const orderId = await payableOrder(alice);
    const cases: [string, string, string, string][] = [
      ['orderId', 'not-a-uuid', 'key', CARDS.succeeds],
      ['idempotencyKey', orderId, '', CARDS.succeeds],
      ['idempotencyKey', orderId, 'k'.repeat(101), CARDS.succeeds],
      ['card', orderId, 'key', 'not a card'],
      ['card', orderId, 'key', '4242 4242 42'],
      ['card', orderId, 'key', '4'.repeat(20)],
      ['card', orderId, 'key', ''],
    ];
    for (const [field, id, key, card] of cases) {
      const result = await pay(alice, id, key, card);
      expect(result.errors?.[0]?.extensions?.code, `${field}: ${id} ${key} ${card}`).toBe('BAD_USER_INPUT');
      expect(result.errors![0]!.extensions!.issues).toEqual([expect.objectContaining({ path: field })]);
    }
    expect(await paymentsOf(orderId)).toEqual([]);
  });

  it('refuses a card number whose check digit is wrong, as the provider judges it', async () => {
    const orderId = await payableOrder(alice);
    const result = await pay(alice, orderId, 'luhn', '4242-4242-4242-4241');
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'card', reason: 'invalid_card' });
    expect(await paymentsOf(orderId)).toEqual([]);
  });
});

describe('the card number', () => {
  it('is found in no payment row, no outbox row and no log line', async () => {
    const rows = JSON.stringify([...(await db.select().from(payments)), ...(await db.select().from(outbox))]);
    // The rows and the logs really hold this file's payments, so a leak would show.
    expect(rows).toContain('"cardLast4":"4242"');
    const logs = logLines.join('');
    expect(logLines.some((line) => (JSON.parse(line) as { sql?: string }).sql?.startsWith('insert into "payments"'))).toBe(true);
    for (const card of sentCards) {
      expect(rows).not.toContain(card);
      expect(logs).not.toContain(card);
    }
  });
});
