import { canSeeUserData, notFound, parseId } from '@shopgraph/common';
import type { Context } from '../context.js';
import type { Payment } from '../db/schema.js';

/** A payment its owner or an ADMIN may see; for anyone else it is NOT_FOUND, like a missing id. */
export async function getPayment(ctx: Context, id: string): Promise<Payment> {
  const payment = await ctx.loaders.paymentById.load(parseId(id));
  if (!payment || !canSeeUserData(ctx.viewer, payment.userId)) throw notFound('Payment', id);
  return payment;
}

/**
 * The order's latest payment attempt, null if none. The orders subgraph has already authorised
 * the order; checking again keeps a payment from leaking through a forged or stale reference.
 */
export async function getLatestPayment(ctx: Context, orderId: string): Promise<Payment | null> {
  const payment = await ctx.loaders.latestPaymentByOrderId.load(parseId(orderId, 'orderId'));
  return payment && canSeeUserData(ctx.viewer, payment.userId) ? payment : null;
}
