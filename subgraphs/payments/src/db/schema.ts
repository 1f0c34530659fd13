import { outboxTable } from '@shopgraph/queues';
import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/** A payment moves PROCESSING → SUCCEEDED or FAILED, and SUCCEEDED → REFUNDED. */
export const paymentStatuses = ['PROCESSING', 'SUCCEEDED', 'FAILED', 'REFUNDED'] as const;
export type PaymentStatus = (typeof paymentStatuses)[number];

const quotedList = (values: readonly string[]) => sql.raw(values.map((value) => `'${value}'`).join(', '));

// Millisecond precision: timestamps round-trip through JS Dates exactly.
const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
};

/** One row per payment attempt; an order may have several (a declined card, then another). */
export const payments = pgTable(
  'payments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** The order lives in the orders subgraph: referenced by id, never by foreign key. */
    orderId: uuid('order_id').notNull(),
    /** The order's owner, copied here so visibility is checked without asking orders. */
    userId: uuid('user_id').notNull(),
    /** In minor units, the order's total when the attempt was made. */
    amount: integer('amount').notNull(),
    currency: text('currency').notNull(),
    status: text('status', { enum: paymentStatuses }).notNull(),
    /** The provider's reason for a FAILED attempt, e.g. card_declined. */
    failureReason: text('failure_reason'),
    /** All that is kept of the card number, beside the provider's token for it. */
    cardLast4: text('card_last4'),
    providerToken: text('provider_token'),
    /** The provider's id for the charge once made: refunds and reconciliation refer to it. */
    providerChargeId: text('provider_charge_id'),
    /**
     * The client's key: the same user's key names the same attempt. A reuse is told apart from
     * a replay by the attempt's fingerprint, its order and card_last4 (the card is not kept).
     */
    idempotencyKey: text('idempotency_key'),
    /** The payable order's version the attempt was made for: orders accepts it only at that version. */
    orderVersion: integer('order_version').notNull().default(1),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('payments_user_idempotency_key').on(t.userId, t.idempotencyKey),
    // One charge in flight per order, and never two kept charges: a second capture is impossible.
    uniqueIndex('payments_one_processing_per_order').on(t.orderId).where(sql`${t.status} = 'PROCESSING'`),
    uniqueIndex('payments_one_succeeded_per_order').on(t.orderId).where(sql`${t.status} = 'SUCCEEDED'`),
    // Serves "the latest attempt per order" (loaders.ts) with its first entry per order. NULLS
    // FIRST is what the query's plain `desc` means (drizzle-kit writes NULLS LAST otherwise, an
    // order the planner cannot read this index in); the columns are NOT NULL, so it changes no order.
    index('payments_order_latest_idx').on(t.orderId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    check('payments_amount_check', sql`${t.amount} >= 0`),
    check('payments_status_check', sql`${t.status} in (${quotedList(paymentStatuses)})`),
    check('payments_card_last4_check', sql`${t.cardLast4} ~ '^[0-9]{4}$'`),
  ],
);

export type Payment = typeof payments.$inferSelect;

/** A payable order is AWAITING_PAYMENT until it is PAID, or CLOSED (expired, cancelled, re-pending, rejected). */
export const payableOrderStatuses = ['AWAITING_PAYMENT', 'PAID', 'CLOSED'] as const;
export type PayableOrderStatus = (typeof payableOrderStatuses)[number];

/**
 * Payments' own copy of what it may charge for an order, recorded by the workers when the order
 * becomes AWAITING_PAYMENT: payments never reads the orders schema.
 */
export const payableOrders = pgTable(
  'payable_orders',
  {
    orderId: uuid('order_id').primaryKey(),
    userId: uuid('user_id').notNull(),
    /** In minor units: the order's total at `version`. */
    amount: integer('amount').notNull(),
    currency: text('currency').notNull(),
    /** The order's item version; a record for an older one never replaces a newer one. */
    version: integer('version').notNull(),
    status: text('status', { enum: payableOrderStatuses }).notNull(),
    updatedAt: timestamps.updatedAt,
  },
  (t) => [
    check('payable_orders_amount_check', sql`${t.amount} >= 0`),
    check('payable_orders_version_check', sql`${t.version} >= 1`),
    check('payable_orders_status_check', sql`${t.status} in (${quotedList(payableOrderStatuses)})`),
  ],
);

export type PayableOrder = typeof payableOrders.$inferSelect;

/** Jobs born in a payments transaction (`charge-payment`), relayed to BullMQ by the workers. */
export const outbox = outboxTable();
