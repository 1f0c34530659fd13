import { createHash } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import {
  badUserInput,
  canSeeUserData,
  conflict,
  idSchema,
  notFound,
  parseId,
  parseInput,
  requireViewer,
  type Viewer,
} from '@shopgraph/common';
import { enqueueInTransaction, jobIds } from '@shopgraph/queues';
import { z } from 'zod';
import type { Context } from '../context.js';
import { orderItems, orders, outbox, type OrderRow } from '../db/schema.js';
import { canTransition, lockOrder, recordPlacement, transitionOrder, type Tx } from './order-state.js';

/** The order mutations of the checkout (docs/checkout.md, "Orders"): each one transaction. */

const MAX_ORDER_LINES = 50;
const MAX_LINE_QUANTITY = 1000;

type Line = { productId: string; quantity: number };

/** One line per product, in product id order: the same request always looks the same. */
function mergeLines(lines: Line[]): Line[] {
  const merged = new Map<string, number>();
  for (const line of lines) merged.set(line.productId, (merged.get(line.productId) ?? 0) + line.quantity);
  return [...merged].sort(([a], [b]) => (a < b ? -1 : 1)).map(([productId, quantity]) => ({ productId, quantity }));
}

const quantitySchema = z.int().max(MAX_LINE_QUANTITY, `must be at most ${MAX_LINE_QUANTITY}`);

// Lines naming the same product twice are merged (their quantities added), as a cart would;
// the merged quantity obeys the same limit as one line.
const placeOrderSchema = z.object({
  items: z
    .array(
      z.object({
        productId: idSchema.transform((id) => id.toLowerCase()),
        quantity: quantitySchema.min(1, 'must be at least 1'),
      }),
    )
    .min(1, 'an order needs at least one item')
    .max(MAX_ORDER_LINES, `an order holds at most ${MAX_ORDER_LINES} lines`)
    .transform(mergeLines)
    .pipe(z.array(z.object({ productId: z.string(), quantity: quantitySchema }))),
});

// Keys are opaque to us, so they are compared exactly as sent: no trimming, no case folding.
const idempotencyKeySchema = z
  .string()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .regex(/^[\x20-\x7e]+$/, 'must be printable ASCII')
  .nullish();

const updateQuantitySchema = quantitySchema.min(0, 'must be 0 (to remove the item) or more');

/** What a key stands for: the merged lines, hashed. */
const fingerprintOf = (lines: Line[]) =>
  createHash('sha256')
    .update(lines.map((line) => `${line.productId}:${line.quantity}`).join(','))
    .digest('hex');

function refuse(order: OrderRow, doing: string): never {
  throw conflict(`Order ${order.id} is ${order.status} and cannot be ${doing}.`, { status: order.status });
}

/** Locks the order if the viewer may see it; anyone else gets NOT_FOUND, as for a missing id. */
async function lockVisibleOrder(tx: Tx, viewer: Viewer, orderId: string, asGiven: string): Promise<OrderRow> {
  const order = await lockOrder(tx, orderId);
  if (!order || !canSeeUserData(viewer, order.userId)) throw notFound('Order', asGiven);
  return order;
}

const reserveStockJob = (orderId: string, version: number) =>
  ({ queue: 'reservations', name: 'reserve-stock', payload: { orderId, version }, jobId: jobIds.reserveStock(orderId, version) }) as const;

/**
 * Places a PENDING order and queues its stock reservation, in one transaction. Products are not
 * checked here: products owns them, and an unknown or deleted one makes the reservation REJECTED
 * with a reason. The same key from the same user returns the same order, also when identical
 * calls race; the same key with other items is a CONFLICT.
 */
export async function placeOrder(ctx: Context, input: unknown, idempotencyKey: unknown): Promise<OrderRow> {
  const viewer = requireViewer(ctx.viewer);
  const { items } = parseInput(placeOrderSchema, input, 'input');
  const key = parseInput(idempotencyKeySchema, idempotencyKey, 'idempotencyKey') ?? null;
  const fingerprint = fingerprintOf(items);
  return ctx.db.transaction(async (tx) => {
    // A racing call with the same key makes this insert wait for it, then do nothing.
    const [placed] = await tx
      .insert(orders)
      .values({ userId: viewer.id, status: 'PENDING', idempotencyKey: key, idempotencyFingerprint: fingerprint })
      .onConflictDoNothing({ target: [orders.userId, orders.idempotencyKey] })
      .returning();
    if (!placed) {
      // Only a key can conflict, and read committed lets this statement see the order that the
      // earlier call committed.
      const [existing] = await tx
        .select()
        .from(orders)
        .where(and(eq(orders.userId, viewer.id), eq(orders.idempotencyKey, key!)));
      if (existing!.idempotencyFingerprint !== fingerprint) {
        throw conflict('This idempotencyKey was already used for an order with other items.', { field: 'idempotencyKey' });
      }
      return existing!;
    }
    await tx.insert(orderItems).values(items.map((line) => ({ orderId: placed.id, ...line })));
    await recordPlacement(tx, placed);
    await enqueueInTransaction(tx, outbox, reserveStockJob(placed.id, placed.version));
    return placed;
  });
}

export interface UpdateOrderItemArgs {
  orderId: string;
  productId: string;
  quantity: number;
}

/**
 * Sets one line's quantity (0 removes it; a product not in the order is added) while the order is
 * PENDING or AWAITING_PAYMENT. The order becomes PENDING at a new version with its prices
 * cleared, and the new items are queued for reservation (products re-reserves the difference).
 * Asking for the quantity the line already has changes nothing.
 */
export async function updateOrderItem(ctx: Context, args: UpdateOrderItemArgs): Promise<OrderRow> {
  const viewer = requireViewer(ctx.viewer);
  const orderId = parseId(args.orderId, 'orderId');
  const productId = parseId(args.productId, 'productId');
  const quantity = parseInput(updateQuantitySchema, args.quantity, 'quantity');
  return ctx.db.transaction(async (tx) => {
    const order = await lockVisibleOrder(tx, viewer, orderId, args.orderId);
    if (!canTransition(order.status, 'PENDING')) refuse(order, 'changed');
    const items = await tx.select().from(orderItems).where(eq(orderItems.orderId, orderId));
    const current = items.find((item) => item.productId === productId)?.quantity ?? 0;
    // A retried request must not send a priced order back to PENDING for nothing.
    if (quantity === current) return order;
    if (quantity === 0 && items.length === 1) {
      throw badUserInput('An order needs at least one item: cancel the order instead of removing its last item.', {
        field: 'quantity',
      });
    }
    if (current === 0 && items.length >= MAX_ORDER_LINES) {
      throw badUserInput(`An order holds at most ${MAX_ORDER_LINES} lines.`, { field: 'productId' });
    }

    if (quantity === 0) {
      await tx.delete(orderItems).where(and(eq(orderItems.orderId, orderId), eq(orderItems.productId, productId)));
    } else {
      await tx
        .insert(orderItems)
        .values({ orderId, productId, quantity })
        .onConflictDoUpdate({ target: [orderItems.orderId, orderItems.productId], set: { quantity } });
    }
    // Prices are snapshotted when stock is reserved; the new version is not reserved yet.
    await tx
      .update(orderItems)
      .set({ productName: null, unitPriceAmount: null, unitPriceCurrency: null })
      .where(eq(orderItems.orderId, orderId));
    const version = order.version + 1;
    const updated =
      (await transitionOrder(tx, order, {
        to: 'PENDING',
        version,
        reason: `Quantity of product ${productId} set to ${quantity}.`,
        set: { totalAmount: null, totalCurrency: null },
      })) ?? refuse(order, 'changed');
    await enqueueInTransaction(tx, outbox, reserveStockJob(orderId, version));
    return updated;
  });
}

/**
 * Cancels a PENDING, AWAITING_PAYMENT or PAID order. Unpaid, its stock is released; paid, its
 * payment is refunded and its stock restored. Both follow as jobs queued in this transaction.
 */
export async function cancelOrder(ctx: Context, id: string): Promise<OrderRow> {
  const viewer = requireViewer(ctx.viewer);
  const orderId = parseId(id);
  return ctx.db.transaction(async (tx) => {
    const order = await lockVisibleOrder(tx, viewer, orderId, id);
    const reason = viewer.id === order.userId ? 'Cancelled by the customer.' : 'Cancelled by an admin.';
    const cancelled = (await transitionOrder(tx, order, { to: 'CANCELLED', reason })) ?? refuse(order, 'cancelled');
    if (order.status === 'PAID') {
      await enqueueInTransaction(tx, outbox, {
        queue: 'refunds',
        name: 'refund-payment',
        payload: { orderId, restoreStock: true },
        jobId: jobIds.refundOrder(orderId),
      });
    } else {
      await enqueueInTransaction(tx, outbox, {
        queue: 'reservations',
        name: 'release-stock',
        payload: { orderId, reason },
        jobId: jobIds.releaseStock(orderId),
      });
    }
    return cancelled;
  });
}
