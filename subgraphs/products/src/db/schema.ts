import { sql } from 'drizzle-orm';
import { bigint, check, customType, index, integer, pgTable, primaryKey, smallint, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

// Millisecond precision: timestamps round-trip through JS Dates and keyset cursors exactly.
const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, precision: 3 }).notNull().defaultNow(),
};

export const products = pgTable(
  'products',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    sku: text('sku').notNull(),
    name: text('name').notNull(),
    description: text('description'),
    priceAmount: integer('price_amount').notNull(),
    priceCurrency: text('price_currency').notNull(),
    /** Units in the warehouse, reserved ones included. */
    onHand: integer('on_hand').notNull().default(0),
    /** Units held by orders awaiting payment; `stock` = onHand - reserved. */
    reserved: integer('reserved').notNull().default(0),
    ...timestamps,
    /** Soft delete: hidden from the catalog, still resolvable from orders that hold it. */
    deletedAt: timestamp('deleted_at', { withTimezone: true, precision: 3 }),
    searchVector: tsvector('search_vector').generatedAlwaysAs(
      sql`setweight(to_tsvector('simple'::regconfig, sku), 'A') || setweight(to_tsvector('english'::regconfig, name), 'A') || setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'B')`,
    ),
  },
  (t) => [
    uniqueIndex('products_sku_live_key').on(t.sku).where(sql`${t.deletedAt} is null`),
    // Keyset pagination, newest first. NULLS FIRST is what the query's plain `desc` means (drizzle-kit
    // writes NULLS LAST otherwise, an order the planner cannot read this index in); the columns
    // are NOT NULL, so the order is the same either way.
    index('products_catalog_order_idx')
      .on(t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst())
      .where(sql`${t.deletedAt} is null`),
    // fastupdate off: a new product goes straight into the index. With the pending list on, rows
    // wait there until a vacuum (autovacuum may be off, or late) and the planner, which prices the
    // whole list into every index search, prefers a sequential scan of the catalog.
    index('products_search_idx').using('gin', t.searchVector).with({ fastupdate: false }),
    check('products_stock_check', sql`${t.reserved} >= 0 and ${t.reserved} <= ${t.onHand}`),
    check('products_price_check', sql`${t.priceAmount} >= 0`),
  ],
);

export type ProductRow = typeof products.$inferSelect;

/** What `rowCounts` counts: the live products, the catalog's unfiltered totalCount. */
export const LIVE_PRODUCTS = 'live_products';

/**
 * Row counts kept by the triggers of drizzle/0003_live_product_count.sql, in the transaction
 * that changes the rows, so a count is exact without scanning the table. A count is the sum of
 * its slots: each connection adds to its own slot (pg_backend_pid() % 16), so concurrent
 * writers rarely wait on one another's row lock.
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

export const reservationStatuses = ['HELD', 'COMMITTED', 'RELEASED', 'REJECTED', 'RESTORED'] as const;
export type ReservationStatus = (typeof reservationStatuses)[number];

/**
 * One row per order: what the order's stock holding is and which version of the order's items
 * it reflects. Jobs that arrive late for an older version are recognised and ignored.
 */
export const stockReservations = pgTable(
  'stock_reservations',
  {
    orderId: uuid('order_id').primaryKey(),
    version: integer('version').notNull(),
    status: text('status', { enum: reservationStatuses }).notNull(),
    reason: text('reason'),
    ...timestamps,
  },
  (t) => [
    check('stock_reservations_status_check', sql`${t.status} in ('HELD', 'COMMITTED', 'RELEASED', 'REJECTED', 'RESTORED')`),
    // The settler's sweep reads the held ones (`heldReservations`): few, among every order's row.
    index('stock_reservations_held_idx').on(t.orderId).where(sql`${t.status} = 'HELD'`),
  ],
);

/** The units an order holds per product, with the name and price snapshotted when reserved. */
export const stockReservationLines = pgTable(
  'stock_reservation_lines',
  {
    orderId: uuid('order_id')
      .notNull()
      .references(() => stockReservations.orderId, { onDelete: 'cascade' }),
    productId: uuid('product_id')
      .notNull()
      .references(() => products.id),
    quantity: integer('quantity').notNull(),
    productName: text('product_name').notNull(),
    unitPriceAmount: integer('unit_price_amount').notNull(),
    unitPriceCurrency: text('unit_price_currency').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orderId, t.productId] }),
    index('stock_reservation_lines_product_idx').on(t.productId),
    check('stock_reservation_lines_quantity_check', sql`${t.quantity} > 0`),
  ],
);
