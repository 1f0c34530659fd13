import { sql } from 'drizzle-orm';
import { check, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

/** A payment moves PROCESSING → SUCCEEDED or FAILED, and SUCCEEDED → REFUNDED. */
export const paymentStatuses = ['PROCESSING', 'SUCCEEDED', 'FAILED', 'REFUNDED'] as const;
export type PaymentStatus = (typeof paymentStatuses)[number];

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
    /** The client's key: the same key on the same order names the same attempt. */
    idempotencyKey: text('idempotency_key'),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('payments_order_idempotency_key').on(t.orderId, t.idempotencyKey),
    // Serves "the latest attempt per order" (distinct on order_id) from the index alone.
    index('payments_order_latest_idx').on(t.orderId, t.createdAt.desc(), t.id.desc()),
    check('payments_amount_check', sql`${t.amount} >= 0`),
    check('payments_status_check', sql`${t.status} in (${sql.raw(paymentStatuses.map((s) => `'${s}'`).join(', '))})`),
    check('payments_card_last4_check', sql`${t.cardLast4} ~ '^[0-9]{4}$'`),
  ],
);

export type Payment = typeof payments.$inferSelect;
