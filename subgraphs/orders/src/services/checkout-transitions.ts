import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '@shopgraph/common';
import type { OrderSnapshot, ReservationResult } from '@shopgraph/queues';
import { orderItems, orders, type OrderItemRow, type OrderRow } from '../db/schema.js';
import { toMoney } from './order-service.js';
import { lockOrder, transitionOrder, type Tx } from './order-state.js';

/**
 * The status changes checkout's workers make to an order (docs/checkout.md, "Step signatures"):
 * reservation results, payment, expiry, failure. Called by the processors with the orders `Db`.
 * Each is one transaction on the locked order, goes through the one state machine, and is
 * idempotent: delivered twice, the second call changes nothing and answers as the first did.
 */

export interface OrderToReserve {
  orderId: string;
  userId: string;
  version: number;
  items: { productId: string; quantity: number }[];
}

type ReservedLine = Extract<ReservationResult, { ok: true }>['lines'][number];

/** Largest total an `integer` column (and the payment provider's Int) holds. */
const MAX_TOTAL = 2_147_483_647;

const snapshotOf = (order: OrderRow): OrderSnapshot => ({
  orderId: order.id,
  userId: order.userId,
  status: order.status,
  version: order.version,
  total: toMoney(order.totalAmount, order.totalCurrency),
});

/**
 * The items to reserve for `version`, or null when the order is gone or at another version.
 * An order already past PENDING at this version still answers: a job retried after a crash
 * must re-run the idempotent steps that follow the reservation (payable order, release),
 * which an early stop would skip for good.
 */
export async function orderForReservation(
  db: Db,
  { orderId, version }: { orderId: string; version: number },
): Promise<OrderToReserve | null> {
  // One statement sees one snapshot, so the items are those of the version read beside them: no
  // lock needed, and no write transaction (a row lock would be one, with its own commit flush).
  // An item change committing right after is safe: it bumps the version, and
  // applyReservationResult, which locks the order, leaves a stale version alone.
  const rows = await db
    .select({ userId: orders.userId, version: orders.version, productId: orderItems.productId, quantity: orderItems.quantity })
    .from(orders)
    .leftJoin(orderItems, eq(orderItems.orderId, orders.id))
    .where(eq(orders.id, orderId))
    .orderBy(asc(orderItems.productId));
  const order = rows[0];
  if (!order || order.version !== version) return null;
  const items = rows.flatMap(({ productId, quantity }) => (productId !== null && quantity !== null ? [{ productId, quantity }] : []));
  return { orderId, userId: order.userId, version, items };
}

/**
 * Which of these orders are PAID: the settler's sweep (docs/checkout.md, "Settling by sweep") commits
 * their held stock. A read by primary key, no lock.
 */
export async function paidAmong(db: Db, orderIds: readonly string[]): Promise<string[]> {
  if (orderIds.length === 0) return [];
  const rows = await db
    .select({ id: orders.id })
    .from(orders)
    .where(and(inArray(orders.id, [...orderIds]), eq(orders.status, 'PAID')));
  return rows.map((row) => row.id);
}

/** Where a read of awaiting orders stopped: the last order it answered and when that one started awaiting. */
export interface AwaitingCursor {
  orderId: string;
  /** `updated_at` as Postgres prints it, so that it compares exactly. */
  since: string;
}

/** What the expiry sweep reads (docs/checkout.md, "Expiry by sweep"). */
export interface DueExpiries {
  /** Orders that have awaited payment `reservedForMs` or longer, at the version they await it in. */
  due: { orderId: string; version: number }[];
  /** In how long the first awaiting order not due yet is due; null when none was read. */
  nextDueInMs: number | null;
  /** Set when every order read was due and more may be: where the next read goes on. */
  more: AwaitingCursor | null;
}

/**
 * The first `limit` AWAITING_PAYMENT orders (after `after`) by when they started awaiting
 * (`updated_at`: only a status change touches it, see order-state.ts), split into those due and
 * the wait for the next. One statement on `orders_awaiting_payment_idx`, no lock: an order paid
 * or cancelled right after is left alone by `expireOrder`, which locks it and checks its status
 * and version.
 */
export async function dueExpiries(
  db: Db,
  { reservedForMs, limit = 100, after }: { reservedForMs: number; limit?: number; after?: AwaitingCursor },
): Promise<DueExpiries> {
  const awaiting = eq(orders.status, 'AWAITING_PAYMENT');
  const rows = await db
    .select({
      orderId: orders.id,
      version: orders.version,
      since: sql<string>`${orders.updatedAt}::text`,
      // On the database clock, the one that stamped updated_at.
      dueInMs: sql<number>`greatest(0, ceil(extract(epoch from ${orders.updatedAt} - now()) * 1000 + ${reservedForMs}))::float8`,
    })
    .from(orders)
    .where(after ? and(awaiting, sql`(${orders.updatedAt}, ${orders.id}) > (${after.since}::timestamptz, ${after.orderId}::uuid)`) : awaiting)
    .orderBy(asc(orders.updatedAt), asc(orders.id))
    .limit(limit);
  const due = rows.filter((row) => row.dueInMs === 0).map(({ orderId, version }) => ({ orderId, version }));
  const waiting = rows.find((row) => row.dueInMs > 0);
  const last = rows.at(-1);
  return {
    due,
    nextDueInMs: waiting ? waiting.dueInMs : null,
    more: !waiting && last && rows.length === limit ? { orderId: last.orderId, since: last.since } : null,
  };
}

/** The total of reserved lines, or why they cannot make one order. */
export function priceReservation(lines: ReservedLine[]): { total: { amount: number; currency: string } } | { refusal: string } {
  const currencies = [...new Set(lines.map((line) => line.unitPrice.currency))].sort();
  if (currencies.length !== 1) {
    return { refusal: `Products priced in different currencies (${currencies.join(', ')}) cannot be paid as one order.` };
  }
  const amount = lines.reduce((sum, line) => sum + line.unitPrice.amount * line.quantity, 0);
  if (amount > MAX_TOTAL) return { refusal: 'The order total is larger than one payment may be.' };
  return { total: { amount, currency: currencies[0]! } };
}

/** The reservation must be of exactly the order's items: anything else is a bug upstream. */
function assertMatches(order: OrderRow, items: OrderItemRow[], lines: ReservedLine[]): void {
  const reserved = new Map(lines.map((line) => [line.productId, line.quantity]));
  if (reserved.size !== items.length || items.some((item) => reserved.get(item.productId) !== item.quantity)) {
    throw new Error(`The reservation of order ${order.id} at version ${order.version} does not match its items.`);
  }
}

async function writePriceSnapshots(tx: Tx, orderId: string, lines: ReservedLine[]): Promise<void> {
  await tx.execute(sql`
    update ${orderItems} set
      product_name = l.name, unit_price_amount = l.amount, unit_price_currency = l.currency
    from unnest(
      ${sql.param(lines.map((line) => line.productId))}::uuid[],
      ${sql.param(lines.map((line) => line.name))}::text[],
      ${sql.param(lines.map((line) => line.unitPrice.amount))}::int[],
      ${sql.param(lines.map((line) => line.unitPrice.currency))}::text[]
    ) as l(product_id, name, amount, currency)
    where ${orderItems.orderId} = ${orderId} and ${orderItems.productId} = l.product_id`);
}

/**
 * Applies products' answer for `version`: a PENDING order at that version becomes
 * AWAITING_PAYMENT with name and price snapshots and a total, or REJECTED with the reason
 * (also when its lines are priced in different currencies, so the caller must release the
 * stock of a REJECTED order). A stale version or a non-PENDING order is left alone. Returns
 * the order as it is afterwards — e.g. CANCELLED when it was cancelled meanwhile, so the
 * caller releases what was just reserved — or null for an unknown order.
 */
export async function applyReservationResult(
  db: Db,
  { orderId, version, result }: { orderId: string; version: number; result: ReservationResult },
): Promise<OrderSnapshot | null> {
  return db.transaction(async (tx) => {
    const order = await lockOrder(tx, orderId);
    if (!order) return null;
    if (order.version !== version) return snapshotOf(order);
    if (!result.ok) return snapshotOf((await transitionOrder(tx, order, { to: 'REJECTED', reason: result.reason })) ?? order);

    const items = await tx.select().from(orderItems).where(eq(orderItems.orderId, orderId));
    assertMatches(order, items, result.lines);
    const price = priceReservation(result.lines);
    if ('refusal' in price) return snapshotOf((await transitionOrder(tx, order, { to: 'REJECTED', reason: price.refusal })) ?? order);
    const priced = await transitionOrder(tx, order, {
      to: 'AWAITING_PAYMENT',
      set: { totalAmount: price.total.amount, totalCurrency: price.total.currency },
    });
    if (!priced) return snapshotOf(order);
    await writePriceSnapshots(tx, orderId, result.lines);
    return snapshotOf(priced);
  });
}

/**
 * A succeeded payment for `version`: AWAITING_PAYMENT at that version → PAID. Answers 'PAID'
 * again when this payment already paid the order; 'NOT_PAYABLE' otherwise (another version,
 * another status, or paid by another payment), and the caller refunds the payment.
 */
export async function markOrderPaid(
  db: Db,
  { orderId, version, paymentId }: { orderId: string; version: number; paymentId: string },
): Promise<'PAID' | 'NOT_PAYABLE'> {
  return db.transaction(async (tx) => {
    const order = await lockOrder(tx, orderId);
    if (!order) return 'NOT_PAYABLE';
    if (order.paidByPaymentId === paymentId) return 'PAID';
    if (order.version !== version) return 'NOT_PAYABLE';
    const paid = await transitionOrder(tx, order, {
      to: 'PAID',
      reason: `Paid by payment ${paymentId}.`,
      set: { paidByPaymentId: paymentId },
    });
    return paid ? 'PAID' : 'NOT_PAYABLE';
  });
}

function durationInWords(ms: number): string {
  const [value, unit] = ms >= 60_000 ? [Math.round(ms / 60_000), 'minute'] : [Math.max(1, Math.round(ms / 1000)), 'second'];
  return `${value} ${unit}${value === 1 ? '' : 's'}`;
}

/**
 * The reservation ran out: AWAITING_PAYMENT at `version` → EXPIRED. True when the order is
 * EXPIRED at that version, by this call or an earlier delivery of the same job, so a job
 * retried after a crash still releases the stock (the follow-ups are idempotent themselves).
 * `reservedForMs`, the reservation's lifetime, only words the reason.
 */
export async function expireOrder(
  db: Db,
  { orderId, version, reservedForMs }: { orderId: string; version: number; reservedForMs?: number },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const order = await lockOrder(tx, orderId);
    if (!order || order.version !== version) return false;
    if (order.status === 'EXPIRED') return true;
    const reason = reservedForMs
      ? `Not paid within ${durationInWords(reservedForMs)}: the reservation ran out.`
      : 'Not paid in time: the reservation ran out.';
    return (await transitionOrder(tx, order, { to: 'EXPIRED', reason })) !== null;
  });
}

/**
 * The reservation job was dead-lettered: PENDING → REJECTED with `reason`, so the order shows
 * why instead of hanging. True when the order is REJECTED afterwards (the caller then releases
 * whatever stock it may hold); false when it moved on (e.g. AWAITING_PAYMENT, CANCELLED).
 */
export async function failOrder(db: Db, { orderId, reason }: { orderId: string; reason: string }): Promise<boolean> {
  return db.transaction(async (tx) => {
    const order = await lockOrder(tx, orderId);
    if (!order) return false;
    if (order.status === 'REJECTED') return true;
    return (await transitionOrder(tx, order, { to: 'REJECTED', reason })) !== null;
  });
}
