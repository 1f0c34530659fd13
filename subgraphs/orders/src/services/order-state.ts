import { eq, sql } from 'drizzle-orm';
import type { Db } from '@shopgraph/common';
import { orderStatusHistory, orders, type OrderRow, type OrderStatus } from '../db/schema.js';

/** A transaction of the orders database. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * The order lifecycle of the contract (OrderStatus in schema/contract.graphql; docs/checkout.md),
 * as the only source of truth: every status change goes through `transitionOrder`, which refuses
 * anything not listed here.
 * PENDING → PENDING and AWAITING_PAYMENT → PENDING are item changes (a new version).
 */
export const allowedTransitions: Record<OrderStatus, readonly OrderStatus[]> = {
  PENDING: ['PENDING', 'AWAITING_PAYMENT', 'REJECTED', 'CANCELLED'],
  AWAITING_PAYMENT: ['PENDING', 'PAID', 'EXPIRED', 'CANCELLED'],
  PAID: ['CANCELLED'],
  CANCELLED: [],
  REJECTED: [],
  EXPIRED: [],
};

export const canTransition = (from: OrderStatus, to: OrderStatus) => allowedTransitions[from].includes(to);

/** Records an order's first status, PENDING at version 1: the one history row not made by a transition. */
export async function recordPlacement(tx: Tx, placed: OrderRow): Promise<void> {
  await tx.insert(orderStatusHistory).values({ orderId: placed.id, fromStatus: null, toStatus: placed.status, version: placed.version });
}

/** The order row, locked until the transaction ends: concurrent transitions of one order queue up here. */
export async function lockOrder(tx: Tx, orderId: string): Promise<OrderRow | undefined> {
  const [row] = await tx.select().from(orders).where(eq(orders.id, orderId)).for('update');
  return row;
}

export interface Transition {
  to: OrderStatus;
  /** Recorded in the history; on the order too when it becomes REJECTED or EXPIRED. */
  reason?: string | null;
  /** The new version for an item change; otherwise the order keeps its version. */
  version?: number;
  /** Other columns that change with the status (total, paid-by payment). */
  set?: Partial<Pick<OrderRow, 'totalAmount' | 'totalCurrency' | 'paidByPaymentId'>>;
}

/**
 * Moves a locked order to `change.to` and records the transition in the history, or returns null
 * when the lifecycle forbids it and leaves everything as it was. Mutations answer null with
 * CONFLICT; worker steps treat it as "nothing to do".
 */
export async function transitionOrder(tx: Tx, locked: OrderRow, change: Transition): Promise<OrderRow | null> {
  if (!canTransition(locked.status, change.to)) return null;
  const reason = change.reason ?? null;
  const version = change.version ?? locked.version;
  const [updated] = await tx
    .update(orders)
    .set({
      ...change.set,
      status: change.to,
      // statusReason explains the final states a customer did not choose; any other status clears it.
      statusReason: change.to === 'REJECTED' || change.to === 'EXPIRED' ? reason : null,
      version,
      updatedAt: sql`now()`,
    })
    .where(eq(orders.id, locked.id))
    .returning();
  await tx.insert(orderStatusHistory).values({ orderId: locked.id, fromStatus: locked.status, toStatus: change.to, version, reason });
  return updated!;
}
