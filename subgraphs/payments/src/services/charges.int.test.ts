import { randomUUID } from 'node:crypto';
import { createDb, createLogger, isUniqueViolation, prepareSubgraphDatabase, type Db } from '@shopgraph/common';
import { createHttpPaymentProvider, TransientProviderError, type PaymentProvider } from '@shopgraph/payment-provider';
import { createTestDatabase, deferred, TEST_PAYMENT_PROVIDER_KEY, type TestDatabase } from '@shopgraph/testing';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig as loadProviderConfig } from '../../../../payment-provider/src/env.js';
import { createPaymentProviderServer, type RunningProvider } from '../../../../payment-provider/src/server.js';
import { payableOrders, payments } from '../db/schema.js';
import { migrationsFolder } from '../server.js';
import {
  chargePayment,
  closePayableOrder,
  failStuckPayment,
  recordPayableOrder,
  refundOrderPayment,
} from './charges.js';

const CARDS = {
  succeeds: '4242424242424242',
  declined: '4000000000000002',
  insufficientFunds: '4000000000009995',
  processingErrorTwice: '4000000000000119',
};

let database: TestDatabase;
let db: Db;
let providerServer: RunningProvider;
let providerUrl: string;
let provider: PaymentProvider;

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb({ url: database.url, subgraph: 'payments', logger: createLogger('test', 'silent'), max: 10 });
  await prepareSubgraphDatabase(database.url, db, 'payments', migrationsFolder);
  providerServer = createPaymentProviderServer({ ...loadProviderConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', PAYMENT_PROVIDER_KEY: TEST_PAYMENT_PROVIDER_KEY }), latencyMs: 0 });
  providerUrl = await providerServer.listen(0, '127.0.0.1');
  provider = createHttpPaymentProvider(providerUrl, { timeoutMs: 5000, apiKey: TEST_PAYMENT_PROVIDER_KEY });
});

afterAll(async () => {
  await db?.$client.end();
  await providerServer?.close();
  await database?.drop();
});

interface ProviderCharge {
  id: string;
  amount: number;
  refunded: boolean;
}

/** The charges the provider made under a key: what the card was really charged. */
const chargesAt = async (idempotencyKey: string) => {
  const response = await fetch(`${providerUrl}/v1/charges?idempotency_key=${encodeURIComponent(idempotencyKey)}`, {
    headers: { authorization: `Bearer ${TEST_PAYMENT_PROVIDER_KEY}` },
  });
  return ((await response.json()) as { data: ProviderCharge[] }).data;
};

const paymentRow = async (id: string) => (await db.select().from(payments).where(eq(payments.id, id)))[0]!;
const payableRow = async (orderId: string) => (await db.select().from(payableOrders).where(eq(payableOrders.orderId, orderId)))[0];

/** A PROCESSING payment as payOrder leaves it: a payable order, and a token for the card. */
async function processingPayment(card: string, amount = 4430) {
  const orderId = randomUUID();
  const userId = randomUUID();
  await recordPayableOrder(db, { orderId, userId, total: { amount, currency: 'EUR' }, version: 3 });
  const tokenized = await provider.tokenize(card);
  if (tokenized.status !== 'tokenized') throw new Error(`the test card was refused: ${tokenized.reason}`);
  const [payment] = await db
    .insert(payments)
    .values({
      orderId,
      userId,
      amount,
      currency: 'EUR',
      status: 'PROCESSING',
      orderVersion: 3,
      cardLast4: tokenized.last4,
      providerToken: tokenized.token,
      idempotencyKey: randomUUID(),
    })
    .returning();
  return payment!;
}

/**
 * The provider, with its charge answers held back: each call reaches the provider at once, but
 * its answer comes back only after `release()`. `answered` resolves once `calls` calls have their
 * answer waiting, which puts them all between the provider and their `UPDATE`.
 */
function providerHoldingAnswers(calls: number) {
  const answered = deferred();
  const release = deferred();
  let waiting = 0;
  const held: PaymentProvider = {
    ...provider,
    async charge(request) {
      const answer = await provider.charge(request);
      if (++waiting === calls) answered.resolve();
      await release.promise;
      return answer;
    },
  };
  return { provider: held, answered: answered.promise, release: () => release.resolve() };
}

async function succeededPayment() {
  const payment = await processingPayment(CARDS.succeeds);
  await chargePayment(db, provider, payment.id);
  return paymentRow(payment.id);
}

describe('chargePayment', () => {
  it('charges a good card once: SUCCEEDED with the provider’s charge id', async () => {
    const payment = await processingPayment(CARDS.succeeds, 1299);
    const outcome = await chargePayment(db, provider, payment.id);
    expect(outcome).toEqual({ paymentId: payment.id, status: 'SUCCEEDED', orderId: payment.orderId, orderVersion: 3 });
    const charges = await chargesAt(payment.id);
    expect(charges).toEqual([expect.objectContaining({ amount: 1299, refunded: false })]);
    const row = await paymentRow(payment.id);
    expect(row).toMatchObject({ status: 'SUCCEEDED', providerChargeId: charges[0]!.id, failureReason: null });
    expect(row.updatedAt.getTime()).toBeGreaterThan(payment.updatedAt.getTime());
    // In the same transaction, the order stops taking other payments.
    expect(await payableRow(payment.orderId)).toMatchObject({ status: 'PAID', version: 3 });
  });

  it('closes only the payable record of the version it paid for: a newer one stays open, a closed one closed', async () => {
    const newer = await processingPayment(CARDS.succeeds);
    // The items changed while the charge was under way: version 4 awaits its own payment.
    await recordPayableOrder(db, { orderId: newer.orderId, userId: newer.userId, total: { amount: 5000, currency: 'EUR' }, version: 4 });
    await chargePayment(db, provider, newer.id);
    expect(await payableRow(newer.orderId)).toMatchObject({ status: 'AWAITING_PAYMENT', version: 4 });

    const closed = await processingPayment(CARDS.succeeds);
    await closePayableOrder(db, { orderId: closed.orderId });
    await chargePayment(db, provider, closed.id);
    expect(await payableRow(closed.orderId)).toMatchObject({ status: 'CLOSED', version: 3 });
  });

  it('closes the payable record of a payment that was settled SUCCEEDED without it, when delivered again', async () => {
    const payment = await processingPayment(CARDS.succeeds);
    await chargePayment(db, provider, payment.id);
    // As a payment settled by a version of this code that closed the record in a later step.
    await db.update(payableOrders).set({ status: 'AWAITING_PAYMENT' }).where(eq(payableOrders.orderId, payment.orderId));
    await expect(chargePayment(db, provider, payment.id)).resolves.toMatchObject({ status: 'SUCCEEDED' });
    expect(await payableRow(payment.orderId)).toMatchObject({ status: 'PAID' });
    expect(await chargesAt(payment.id)).toHaveLength(1);
  });

  it.each([
    ['declined', CARDS.declined, 'card_declined'],
    ['insufficient funds', CARDS.insufficientFunds, 'insufficient_funds'],
  ])('records a permanent refusal (%s) as FAILED with the reason, charging nothing', async (_name, card, reason) => {
    const payment = await processingPayment(card);
    await expect(chargePayment(db, provider, payment.id)).resolves.toMatchObject({ status: 'FAILED' });
    const row = await paymentRow(payment.id);
    expect(row).toMatchObject({ status: 'FAILED', failureReason: reason, providerChargeId: null });
    expect(row.updatedAt.getTime()).toBeGreaterThan(payment.updatedAt.getTime());
    expect(await chargesAt(payment.id)).toEqual([]);
    // The customer may pay again with another card.
    expect(await payableRow(payment.orderId)).toMatchObject({ status: 'AWAITING_PAYMENT' });
  });

  it('throws a transient error twice for the 0119 card, leaving the payment PROCESSING, then succeeds once', async () => {
    const payment = await processingPayment(CARDS.processingErrorTwice);
    for (let attempt = 1; attempt <= 2; attempt++) {
      await expect(chargePayment(db, provider, payment.id)).rejects.toBeInstanceOf(TransientProviderError);
      expect((await paymentRow(payment.id)).status).toBe('PROCESSING');
    }
    await expect(chargePayment(db, provider, payment.id)).resolves.toMatchObject({ status: 'SUCCEEDED' });
    expect(await chargesAt(payment.id)).toHaveLength(1);
  });

  it('charges once when delivered twice, one after the other or at the same time', async () => {
    const sequential = await processingPayment(CARDS.succeeds);
    const first = await chargePayment(db, provider, sequential.id);
    const settled = await paymentRow(sequential.id);
    await expect(chargePayment(db, provider, sequential.id)).resolves.toEqual(first);
    expect(await paymentRow(sequential.id)).toEqual(settled);
    expect(await chargesAt(sequential.id)).toHaveLength(1);

    // All three read PROCESSING and call the provider before any of them writes its outcome.
    const parallel = await processingPayment(CARDS.succeeds);
    const held = providerHoldingAnswers(3);
    const charging = [1, 2, 3].map(() => chargePayment(db, held.provider, parallel.id));
    await held.answered;
    held.release();
    const outcomes = await Promise.all(charging);
    expect(new Set(outcomes.map((outcome) => outcome.status))).toEqual(new Set(['SUCCEEDED']));
    expect(await chargesAt(parallel.id)).toHaveLength(1);
  });

  it('answers a payment that is no longer PROCESSING as it stands, without charging', async () => {
    const payment = await processingPayment(CARDS.succeeds);
    await failStuckPayment(db, { paymentId: payment.id, reason: 'charge job exhausted its attempts' });
    await expect(chargePayment(db, provider, payment.id)).resolves.toMatchObject({ status: 'FAILED' });
    expect(await chargesAt(payment.id)).toEqual([]);
  });

  it('never overwrites a payment settled while the provider was answering', async () => {
    const payment = await processingPayment(CARDS.succeeds);
    const held = providerHoldingAnswers(1);
    const charging = chargePayment(db, held.provider, payment.id);
    // The provider has charged; its answer has not reached chargePayment when the payment is failed.
    await held.answered;
    await expect(failStuckPayment(db, { paymentId: payment.id, reason: 'dead-lettered' })).resolves.toBe(payment.orderId);
    held.release();
    await expect(charging).resolves.toMatchObject({ status: 'FAILED' });
    expect(await paymentRow(payment.id)).toMatchObject({ status: 'FAILED', failureReason: 'dead-lettered', providerChargeId: null });
    expect(await chargesAt(payment.id)).toHaveLength(1);
  });

  it('throws for a payment that does not exist', async () => {
    await expect(chargePayment(db, provider, randomUUID())).rejects.toThrow(/does not exist/);
  });
});

describe('refundOrderPayment', () => {
  it('refunds the order’s successful payment once, however often it is delivered', async () => {
    const payment = await succeededPayment();
    const results = await Promise.all([refundOrderPayment(db, provider, payment.orderId), refundOrderPayment(db, provider, payment.orderId)]);
    expect(results.sort()).toEqual([false, true]);
    await expect(refundOrderPayment(db, provider, payment.orderId)).resolves.toBe(false);
    const row = await paymentRow(payment.id);
    expect(row.status).toBe('REFUNDED');
    expect(row.updatedAt.getTime()).toBeGreaterThan(payment.updatedAt.getTime());
    expect(await chargesAt(payment.id)).toEqual([expect.objectContaining({ refunded: true })]);
  });

  it('does nothing for an order without a successful payment', async () => {
    const declined = await processingPayment(CARDS.declined);
    await chargePayment(db, provider, declined.id);
    await expect(refundOrderPayment(db, provider, declined.orderId)).resolves.toBe(false);
    await expect(refundOrderPayment(db, provider, randomUUID())).resolves.toBe(false);
    expect((await paymentRow(declined.id)).status).toBe('FAILED');
  });
});

describe('failStuckPayment', () => {
  it('fails a PROCESSING payment with the reason, once', async () => {
    const payment = await processingPayment(CARDS.succeeds);
    await expect(failStuckPayment(db, { paymentId: payment.id, reason: 'provider unreachable' })).resolves.toBe(payment.orderId);
    await expect(failStuckPayment(db, { paymentId: payment.id, reason: 'again' })).resolves.toBeNull();
    const row = await paymentRow(payment.id);
    expect(row).toMatchObject({ status: 'FAILED', failureReason: 'provider unreachable' });
    // Not earlier: a Date has milliseconds, and both transactions can start within one.
    expect(row.updatedAt.getTime()).toBeGreaterThanOrEqual(payment.updatedAt.getTime());
  });

  it('leaves a settled payment alone', async () => {
    const payment = await succeededPayment();
    await expect(failStuckPayment(db, { paymentId: payment.id, reason: 'late' })).resolves.toBeNull();
    expect(await paymentRow(payment.id)).toEqual(payment);
  });
});

describe('payable orders', () => {
  const record = (orderId: string, version: number, amount: number) =>
    recordPayableOrder(db, { orderId, userId: '00000000-0000-4000-8000-000000000042', total: { amount, currency: 'EUR' }, version });

  it('records the newest version, and an older one never overwrites it', async () => {
    const orderId = randomUUID();
    await record(orderId, 2, 2000);
    await record(orderId, 1, 1000);
    expect(await payableRow(orderId)).toMatchObject({ version: 2, amount: 2000, status: 'AWAITING_PAYMENT' });
    await record(orderId, 3, 3000);
    expect(await payableRow(orderId)).toMatchObject({ version: 3, amount: 3000, status: 'AWAITING_PAYMENT' });
  });

  it('does not reopen a closed order when the same version is delivered again; a newer version does', async () => {
    const orderId = randomUUID();
    await record(orderId, 1, 1000);
    await closePayableOrder(db, { orderId, version: 1 });
    await record(orderId, 1, 1000);
    expect((await payableRow(orderId))!.status).toBe('CLOSED');
    await record(orderId, 2, 1500);
    expect(await payableRow(orderId)).toMatchObject({ version: 2, amount: 1500, status: 'AWAITING_PAYMENT' });
  });

  it('closes only up to the given version', async () => {
    const orderId = randomUUID();
    await record(orderId, 2, 1000);
    await closePayableOrder(db, { orderId, version: 1 });
    expect((await payableRow(orderId))!.status).toBe('AWAITING_PAYMENT');
    const before = await payableRow(orderId);
    await closePayableOrder(db, { orderId });
    const closed = await payableRow(orderId);
    expect(closed!.status).toBe('CLOSED');
    expect(closed!.updatedAt.getTime()).toBeGreaterThan(before!.updatedAt.getTime());
  });

  it('leaves a PAID order PAID when closed or recorded again at its version', async () => {
    const payment = await succeededPayment();
    const paid = await payableRow(payment.orderId);
    expect(paid!.status).toBe('PAID');
    await closePayableOrder(db, { orderId: payment.orderId });
    await recordPayableOrder(db, { orderId: payment.orderId, userId: payment.userId, total: { amount: 4430, currency: 'EUR' }, version: 3 });
    expect(await payableRow(payment.orderId)).toEqual(paid);
  });
});

describe('the payments table', () => {
  it('refuses a second PROCESSING or SUCCEEDED payment for one order', async () => {
    const processing = await processingPayment(CARDS.succeeds);
    const succeeded = await succeededPayment();
    const cases = [
      [processing, 'PROCESSING', 'payments_one_processing_per_order'],
      [succeeded, 'SUCCEEDED', 'payments_one_succeeded_per_order'],
    ] as const;
    for (const [existing, status, index] of cases) {
      const { id: _id, idempotencyKey: _key, ...copy } = existing;
      const error = await db
        .insert(payments)
        .values({ ...copy, status })
        .then(() => undefined, (caught: unknown) => caught);
      expect(isUniqueViolation(error, index), status).toBe(true);
    }
  });
});
