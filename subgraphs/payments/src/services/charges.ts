import { and, eq, lte, sql } from 'drizzle-orm';
import type { Db } from '@shopgraph/common';
import type { PaymentProvider } from '@shopgraph/payment-provider';
import type { ChargeOutcome, MoneyValue } from '@shopgraph/queues';
import { payableOrders, payments, type Payment } from '../db/schema.js';

/**
 * What checkout's workers do in payments (docs/checkout.md): keep the record of what each order
 * may be paid for, charge a payment with the provider, refund a paid order, fail a stuck
 * payment. Run by the processors with payments' own `Db`. Each is idempotent: a repeated
 * delivery changes nothing and answers the same. Provider calls happen outside any transaction
 * (no row lock or pooled connection waits on the network); the result is then written by one
 * statement guarded by the status it expects.
 */

export interface PayableOrderRecord {
  orderId: string;
  /** The order's owner: who may pay it. */
  userId: string;
  total: MoneyValue;
  /** The order's item version this total belongs to. */
  version: number;
}

/**
 * Records that the order awaits payment of `total` at `version`. Only a newer version replaces
 * what is recorded: a late delivery of an older version, or a repeated one of the same version
 * after the order was closed or paid, changes nothing.
 */
export async function recordPayableOrder(db: Db, { orderId, userId, total, version }: PayableOrderRecord): Promise<void> {
  const record = { userId, amount: total.amount, currency: total.currency, version, status: 'AWAITING_PAYMENT' as const };
  await db
    .insert(payableOrders)
    .values({ orderId, ...record })
    .onConflictDoUpdate({
      target: payableOrders.orderId,
      set: { ...record, updatedAt: sql`now()` },
      setWhere: sql`${payableOrders.version} < excluded.version`,
    });
}

/**
 * The order can no longer be paid (expired, cancelled, back to PENDING, rejected). With
 * `version`, a record of a newer version than that stays open. A PAID record stays PAID: that
 * money is returned by a refund, not by closing.
 */
export async function closePayableOrder(db: Db, { orderId, version }: { orderId: string; version?: number }): Promise<void> {
  await db
    .update(payableOrders)
    .set({ status: 'CLOSED', updatedAt: sql`now()` })
    .where(
      and(
        eq(payableOrders.orderId, orderId),
        eq(payableOrders.status, 'AWAITING_PAYMENT'),
        version === undefined ? undefined : lte(payableOrders.version, version),
      ),
    );
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * A succeeded payment closes its order's payable record to any other payment: AWAITING_PAYMENT
 * at the payment's version → PAID. A newer version's record (the items changed while the charge
 * ran) stays open, and a CLOSED one stays closed; the money of a charge orders refuses goes back
 * by a refund either way.
 */
async function closeToOtherPayments(tx: Db | Tx, payment: Payment): Promise<void> {
  await tx
    .update(payableOrders)
    .set({ status: 'PAID', updatedAt: sql`now()` })
    .where(
      and(
        eq(payableOrders.orderId, payment.orderId),
        eq(payableOrders.version, payment.orderVersion),
        eq(payableOrders.status, 'AWAITING_PAYMENT'),
      ),
    );
}

async function paymentById(db: Db, paymentId: string): Promise<Payment> {
  const [payment] = await db.select().from(payments).where(eq(payments.id, paymentId));
  if (!payment) throw new Error(`Payment ${paymentId} does not exist.`);
  return payment;
}

const outcomeOf = (payment: Payment): ChargeOutcome => ({
  paymentId: payment.id,
  status: payment.status,
  orderId: payment.orderId,
  orderVersion: payment.orderVersion,
});

/**
 * Charges a PROCESSING payment: SUCCEEDED with the provider's charge id, or FAILED with the
 * provider's reason (card_declined, insufficient_funds). The payment id is the provider's
 * idempotency key, so however often this runs (retries, duplicate deliveries, a worker killed
 * after the charge) the card is charged at most once. A `TransientProviderError` propagates for
 * the queue to retry. A payment no longer PROCESSING is answered as it stands, without the provider.
 */
export async function chargePayment(db: Db, provider: PaymentProvider, paymentId: string): Promise<ChargeOutcome> {
  const payment = await paymentById(db, paymentId);
  if (payment.status !== 'PROCESSING') {
    // Nothing to change when the settling transaction closed it (an update of no row writes
    // nothing); a payment settled before that transaction did both still gets its record closed.
    if (payment.status === 'SUCCEEDED') await closeToOtherPayments(db, payment);
    return outcomeOf(payment);
  }
  if (!payment.providerToken) throw new Error(`Payment ${paymentId} is PROCESSING without a card token.`);
  const result = await provider.charge({
    token: payment.providerToken,
    amount: payment.amount,
    currency: payment.currency,
    idempotencyKey: payment.id,
  });
  const settledAs =
    result.status === 'succeeded'
      ? { status: 'SUCCEEDED' as const, providerChargeId: result.chargeId }
      : { status: 'FAILED' as const, failureReason: result.reason };
  const settled = await db.transaction(async (tx) => {
    const [row] = await tx
      .update(payments)
      .set({ ...settledAs, updatedAt: sql`now()` })
      .where(and(eq(payments.id, paymentId), eq(payments.status, 'PROCESSING')))
      .returning();
    if (row?.status === 'SUCCEEDED') await closeToOtherPayments(tx, row);
    return row;
  });
  // Nothing updated: a concurrent delivery settled it first, and its answer is the answer.
  return outcomeOf(settled ?? (await paymentById(db, paymentId)));
}

/**
 * Refunds the order's SUCCEEDED payment through the provider (idempotency key
 * `refund-<paymentId>`) and marks it REFUNDED. True when this call refunded it; false when there
 * was nothing to refund (no successful payment, or refunded already).
 */
export async function refundOrderPayment(db: Db, provider: PaymentProvider, orderId: string): Promise<boolean> {
  const [payment] = await db
    .select()
    .from(payments)
    .where(and(eq(payments.orderId, orderId), eq(payments.status, 'SUCCEEDED')));
  if (!payment) return false;
  if (!payment.providerChargeId) throw new Error(`Payment ${payment.id} SUCCEEDED without a provider charge to refund.`);
  // 'already_refunded' means the money went back under another key: REFUNDED either way.
  await provider.refund({ chargeId: payment.providerChargeId, idempotencyKey: `refund-${payment.id}` });
  const [refunded] = await db
    .update(payments)
    .set({ status: 'REFUNDED', updatedAt: sql`now()` })
    .where(and(eq(payments.id, payment.id), eq(payments.status, 'SUCCEEDED')))
    .returning({ id: payments.id });
  return refunded !== undefined;
}

/** The charge job exhausted its attempts: the PROCESSING payment becomes FAILED with `reason`. Its order's id when this call failed it, else null. */
export async function failStuckPayment(db: Db, { paymentId, reason }: { paymentId: string; reason: string }): Promise<string | null> {
  const [failed] = await db
    .update(payments)
    .set({ status: 'FAILED', failureReason: reason, updatedAt: sql`now()` })
    .where(and(eq(payments.id, paymentId), eq(payments.status, 'PROCESSING')))
    .returning({ orderId: payments.orderId });
  return failed?.orderId ?? null;
}
