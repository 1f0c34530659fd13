import { sql } from 'drizzle-orm';
import { bigint, bigserial, check, index, integer, pgTable, primaryKey, smallint, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { outboxTable } from '@shopgraph/queues';
import type { OrderStatus } from '../generated/resolvers.js';

export type { OrderStatus };

/**
 * The values of schema.graphql's OrderStatus (its generated type), which the database column
 * holds and checks; order-statuses.test.ts fails when one is missing here.
 */
export const orderStatuses = ['PENDING', 'AWAITING_PAYMENT', 'PAID', 'CANCELLED', 'REJECTED', 'EXPIRED'] as const satisfies readonly OrderStatus[];

// Millisecond precision: timestamps round-trip through JS Dates and keyset cursors exactly.
const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
};

export const orders = pgTable(
  'orders',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** A user of the users subgraph, referred to by id only (another schema, another owner). */
    userId: uuid('user_id').notNull(),
    status: text('status', { enum: orderStatuses }).notNull(),
    /** Why the order was REJECTED or EXPIRED, in words. */
    statusReason: text('status_reason'),
    /** Null while PENDING: the order is priced when its stock is reserved. */
    totalAmount: integer('total_amount'),
    totalCurrency: text('total_currency'),
    /** placeOrder's key: the same key from the same user returns the same order. */
    idempotencyKey: text('idempotency_key'),
    /**
     * A hash of the items placeOrder was called with (merged and sorted), so the same key with
     * other items is told apart from a retry. It describes the request, not the current items:
     * a retry after updateOrderItem still returns the order.
     */
    idempotencyFingerprint: text('idempotency_fingerprint'),
    /**
     * Counts item changes, starting at 1. Reservations, payments and expiries name the version
     * they were made for, so one that arrives after the items changed is recognised as stale.
     */
    version: integer('version').notNull().default(1),
    /** The payment that made the order PAID: a second payment that succeeds too must be refunded. */
    paidByPaymentId: uuid('paid_by_payment_id'),
    ...timestamps,
  },
  (t) => [
    uniqueIndex('orders_idempotency_key').on(t.userId, t.idempotencyKey),
    // Keyset pagination, newest first: a user's orders, and every order for an admin. NULLS FIRST
    // is what the queries' plain `desc` means (drizzle-kit writes NULLS LAST otherwise, an order
    // the planner cannot read these indexes in); the columns are NOT NULL, so it changes no order.
    index('orders_user_recent_idx').on(t.userId, t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    index('orders_recent_idx').on(t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst()),
    // The expiry sweep's read (dueExpiries): the awaiting orders, oldest status change first.
    index('orders_awaiting_payment_idx').on(t.updatedAt, t.id).where(sql`${t.status} = 'AWAITING_PAYMENT'`),
    check('orders_status_check', sql`${t.status} in (${sql.raw(orderStatuses.map((s) => `'${s}'`).join(', '))})`),
    check('orders_total_check', sql`(${t.totalAmount} is null) = (${t.totalCurrency} is null) and ${t.totalAmount} >= 0`),
    check('orders_version_check', sql`${t.version} >= 1`),
  ],
);

export const orderItems = pgTable(
  'order_items',
  {
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    /** A product of the products subgraph, referred to by id only. */
    productId: uuid('product_id').notNull(),
    quantity: integer('quantity').notNull(),
    /** Snapshots taken when stock is reserved, so later catalog edits never rewrite an order. */
    productName: text('product_name'),
    unitPriceAmount: integer('unit_price_amount'),
    unitPriceCurrency: text('unit_price_currency'),
  },
  (t) => [
    primaryKey({ columns: [t.orderId, t.productId] }),
    check('order_items_quantity_check', sql`${t.quantity} > 0`),
    check(
      'order_items_unit_price_check',
      sql`(${t.unitPriceAmount} is null) = (${t.unitPriceCurrency} is null) and ${t.unitPriceAmount} >= 0`,
    ),
  ],
);

/**
 * Every transition of every order, written by the one function that changes an order's status
 * (services/order-state.ts). `from_status` is null for the placement.
 */
export const orderStatusHistory = pgTable(
  'order_status_history',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    orderId: uuid('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    fromStatus: text('from_status', { enum: orderStatuses }),
    toStatus: text('to_status', { enum: orderStatuses }).notNull(),
    /** The order's version after the transition. */
    version: integer('version').notNull(),
    reason: text('reason'),
    createdAt: timestamps.createdAt,
  },
  (t) => [
    // Within one version an order reaches each status at most once (an item change starts a new
    // version), so a transition applied twice is refused by the database as well.
    uniqueIndex('order_status_history_once').on(t.orderId, t.version, t.toStatus),
  ],
);

/** What `rowCounts` counts: every order, an admin's totalCount. */
export const ALL_ORDERS = 'orders';

/**
 * Row counts kept by the triggers of drizzle/0003_order_count.sql, in the transaction that
 * inserts or deletes the rows, so a count is exact without scanning the table. A count is the
 * sum of its slots: each connection adds to its own slot (pg_backend_pid() % 16), so concurrent
 * checkouts rarely wait on one another's row lock.
 */
export const rowCounts = pgTable(
  'row_counts',
  {
    name: text('name').notNull(),
    slot: smallint('slot').notNull(),
    count: bigint('count', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.name, t.slot] })],
);

/** Jobs born in this subgraph's transactions, relayed to BullMQ by the workers. */
export const outbox = outboxTable();

export type OrderRow = typeof orders.$inferSelect;
export type OrderItemRow = typeof orderItems.$inferSelect;
