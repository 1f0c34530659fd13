import type { Context } from '../context.js';
import { getLatestPayment } from '../services/payment-service.js';

interface OrderReference {
  id: string;
}

export const Order = {
  /** Orders are not stored here: the key is all this subgraph knows, and all it needs. */
  __resolveReference: (reference: OrderReference) => reference,
  payment: (order: OrderReference, _: unknown, ctx: Context) => getLatestPayment(ctx, order.id),
};
