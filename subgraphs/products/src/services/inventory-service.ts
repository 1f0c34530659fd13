import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Db } from '@shopgraph/common';
import type { ReservationResult } from '@shopgraph/queues';
import { products, stockReservationLines, stockReservations, type ReservationStatus } from '../db/schema.js';

/** The inventory steps of checkout (docs/checkout.md): each idempotent, each one transaction. */

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export interface ReservationRequest {
  orderId: string;
  /** The order's item version: an older one than already recorded is ignored. */
  version: number;
  items: { productId: string; quantity: number }[];
}

type ReservedLine = Extract<ReservationResult, { ok: true }>['lines'][number];

/** Adds `delta` (may be negative) to each product's reserved units in one statement. */
async function adjustReserved(tx: Tx, deltas: Map<string, number>, column: 'reserved' | 'both' = 'reserved') {
  const changed = [...deltas].filter(([, delta]) => delta !== 0);
  if (changed.length === 0) return;
  const ids = changed.map(([id]) => id);
  const amounts = changed.map(([, delta]) => delta);
  // Committing a sale takes the units out of both reserved and on hand.
  const onHand = column === 'both' ? sql`${products.onHand} + d.delta` : products.onHand;
  await tx.execute(sql`
    update ${products} set reserved = ${products.reserved} + d.delta, on_hand = ${onHand}, updated_at = now()
    from unnest(${sql.param(ids)}::uuid[], ${sql.param(amounts)}::int[]) as d(id, delta)
    where ${products.id} = d.id`);
}

async function linesOf(tx: Tx, orderId: string) {
  return tx.select().from(stockReservationLines).where(eq(stockReservationLines.orderId, orderId));
}

const toReservedLine = (line: typeof stockReservationLines.$inferSelect): ReservedLine => ({
  productId: line.productId,
  quantity: line.quantity,
  name: line.productName,
  unitPrice: { amount: line.unitPriceAmount, currency: line.unitPriceCurrency },
});

function mergeItems(items: ReservationRequest['items']): Map<string, number> {
  const wanted = new Map<string, number>();
  for (const item of items) wanted.set(item.productId, (wanted.get(item.productId) ?? 0) + item.quantity);
  return wanted;
}

/** A reservation's outcome, and the products whose available stock it may have changed (for cache purges). */
export type ReservationOutcome = ReservationResult & { moved: string[] };

/**
 * Moves the order's holding to exactly `items`, all lines or none. Product rows are locked in
 * id order so concurrent reservations never deadlock; only the difference against what the
 * order already holds is re-reserved. Run twice for one version, it answers the same, and names
 * what it holds as moved again: the first run may have died before anyone purged them.
 */
export async function reserveStock(db: Db, request: ReservationRequest): Promise<ReservationOutcome> {
  return db.transaction(async (tx) => {
    // Two deliveries of an order's first reservation find no row to lock: serialize them on the
    // order instead, or both would reserve the units.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`reserve:${request.orderId}`}))`);
    const [existing] = await tx
      .select()
      .from(stockReservations)
      .where(eq(stockReservations.orderId, request.orderId))
      .for('update');
    if (existing && existing.version > request.version) {
      return { ok: false, reason: `superseded by version ${existing.version} of the order`, moved: [] };
    }
    if (existing && existing.version === request.version) {
      // A repeated delivery: answer what was decided the first time.
      if (existing.status === 'HELD' || existing.status === 'COMMITTED') {
        const lines = (await linesOf(tx, request.orderId)).map(toReservedLine);
        return { ok: true, lines, moved: lines.map((line) => line.productId) };
      }
      const reason = existing.reason ?? `the reservation was ${existing.status.toLowerCase()}`;
      return { ok: false, reason, moved: request.items.map((item) => item.productId) };
    }

    const held = existing?.status === 'HELD' ? await linesOf(tx, request.orderId) : [];
    const heldBy = new Map(held.map((line) => [line.productId, line.quantity]));
    const wanted = mergeItems(request.items);
    const ids = [...new Set([...heldBy.keys(), ...wanted.keys()])].sort();
    const rows = await tx
      .select({
        id: products.id,
        sku: products.sku,
        name: products.name,
        priceAmount: products.priceAmount,
        priceCurrency: products.priceCurrency,
        onHand: products.onHand,
        reserved: products.reserved,
        deletedAt: products.deletedAt,
      })
      .from(products)
      .where(inArray(products.id, ids))
      .orderBy(asc(products.id))
      .for('update');
    const byId = new Map(rows.map((row) => [row.id, row]));

    let refusal: string | null = null;
    for (const [productId, quantity] of wanted) {
      const product = byId.get(productId);
      if (!product || product.deletedAt) {
        refusal = `Product ${product ? `${product.name} (${product.sku})` : productId} is no longer sold.`;
        break;
      }
      const extra = quantity - (heldBy.get(productId) ?? 0);
      if (extra > product.onHand - product.reserved) {
        refusal = `Not enough stock for ${product.name} (${product.sku}): ${quantity} wanted, ${product.onHand - product.reserved + (heldBy.get(productId) ?? 0)} available.`;
        break;
      }
    }

    const deltas = new Map<string, number>();
    for (const id of ids) deltas.set(id, (refusal ? 0 : (wanted.get(id) ?? 0)) - (heldBy.get(id) ?? 0));
    await adjustReserved(tx, deltas);
    // Lines dropped by a new version of the order give their units back too.
    const moved = ids.filter((id) => deltas.get(id) !== 0);

    const status = refusal ? ('REJECTED' as const) : ('HELD' as const);
    await tx
      .insert(stockReservations)
      .values({ orderId: request.orderId, version: request.version, status, reason: refusal })
      .onConflictDoUpdate({
        target: stockReservations.orderId,
        set: { version: request.version, status, reason: refusal, updatedAt: sql`now()` },
      });
    await tx.delete(stockReservationLines).where(eq(stockReservationLines.orderId, request.orderId));
    if (refusal) return { ok: false, reason: refusal, moved };

    const lines = [...wanted].map(([productId, quantity]) => {
      const product = byId.get(productId)!;
      return {
        orderId: request.orderId,
        productId,
        quantity,
        productName: product.name,
        unitPriceAmount: product.priceAmount,
        unitPriceCurrency: product.priceCurrency,
      };
    });
    await tx.insert(stockReservationLines).values(lines);
    return { ok: true, lines: lines.map(toReservedLine), moved };
  });
}

/**
 * Moves a reservation from one of the statuses in `from` to the next and applies its stock
 * effect, once: the row is locked first, so two transitions of one reservation never both apply.
 * Returns the products whose units moved, so the caller can purge cached copies of them; none
 * when the reservation is in none of `from` (already moved, or never made).
 */
async function transition<From extends ReservationStatus>(
  db: Db,
  orderId: string,
  from: readonly From[],
  to: ReservationStatus,
  effect: (tx: Tx, lines: Awaited<ReturnType<typeof linesOf>>, was: From) => Promise<void>,
): Promise<string[]> {
  return db.transaction(async (tx) => {
    const [reservation] = await tx
      .select({ status: stockReservations.status })
      .from(stockReservations)
      .where(eq(stockReservations.orderId, orderId))
      .for('update');
    const was = reservation?.status as From | undefined;
    if (was === undefined || !from.includes(was)) return [];
    await tx.update(stockReservations).set({ status: to, updatedAt: sql`now()` }).where(eq(stockReservations.orderId, orderId));
    const lines = await linesOf(tx, orderId);
    await effect(tx, lines, was);
    return lines.map((line) => line.productId);
  });
}

const unreserve = (tx: Tx, lines: Awaited<ReturnType<typeof linesOf>>) =>
  adjustReserved(tx, new Map(lines.map((line) => [line.productId, -line.quantity])));

/** Held units go back to stock (order cancelled, expired or rejected). */
export const releaseReservation = (db: Db, orderId: string) => transition(db, orderId, ['HELD'], 'RELEASED', unreserve);

/**
 * Paid orders' held units leave the warehouse: reserved and on hand drop together, so the stock
 * shown does not change. Many orders in one transaction (docs/checkout.md, "Settling by sweep"),
 * their reservations and then their products locked in id order, as `reserveStock` locks them.
 * Returns the orders it committed; a reservation no longer HELD (committed already, restored) is
 * left alone.
 */
export async function commitReservations(db: Db, orderIds: readonly string[]): Promise<string[]> {
  if (orderIds.length === 0) return [];
  return db.transaction(async (tx) => {
    const held = await tx
      .select({ orderId: stockReservations.orderId })
      .from(stockReservations)
      .where(and(inArray(stockReservations.orderId, [...orderIds]), eq(stockReservations.status, 'HELD')))
      .orderBy(asc(stockReservations.orderId))
      .for('update');
    const committed = held.map((row) => row.orderId);
    if (committed.length === 0) return [];
    await tx.update(stockReservations).set({ status: 'COMMITTED', updatedAt: sql`now()` }).where(inArray(stockReservations.orderId, committed));
    const lines = await tx
      .select({ productId: stockReservationLines.productId, quantity: stockReservationLines.quantity })
      .from(stockReservationLines)
      .where(inArray(stockReservationLines.orderId, committed));
    const deltas = new Map<string, number>();
    for (const line of lines) deltas.set(line.productId, (deltas.get(line.productId) ?? 0) - line.quantity);
    await tx.select({ id: products.id }).from(products).where(inArray(products.id, [...deltas.keys()])).orderBy(asc(products.id)).for('update');
    await adjustReserved(tx, deltas, 'both');
    return committed;
  });
}

/**
 * The orders whose reservations are HELD, in order id order after `after`: the settler's sweep asks
 * orders which of them are paid. A read (the partial index of held reservations), no lock.
 */
export async function heldReservations(db: Db, { limit, after }: { limit: number; after?: string }): Promise<string[]> {
  const rows = await db
    .select({ orderId: stockReservations.orderId })
    .from(stockReservations)
    .where(and(eq(stockReservations.status, 'HELD'), after === undefined ? undefined : gt(stockReservations.orderId, after)))
    .orderBy(asc(stockReservations.orderId))
    .limit(limit);
  return rows.map((row) => row.orderId);
}

/**
 * A paid order was cancelled and refunded: its units are back in stock. Committed units come
 * back on hand; units the settler had not committed yet are only unreserved (the same stock).
 */
export const restoreStock = (db: Db, orderId: string) =>
  transition(db, orderId, ['HELD', 'COMMITTED'], 'RESTORED', async (tx, lines, was) => {
    if (was === 'HELD') return unreserve(tx, lines);
    const ids = lines.map((line) => line.productId);
    const amounts = lines.map((line) => line.quantity);
    await tx.execute(sql`
      update ${products} set on_hand = ${products.onHand} + d.quantity, updated_at = now()
      from unnest(${sql.param(ids)}::uuid[], ${sql.param(amounts)}::int[]) as d(id, quantity)
      where ${products.id} = d.id`);
  });
