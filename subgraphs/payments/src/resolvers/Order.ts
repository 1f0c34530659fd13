import type { OrderResolvers } from '../generated/resolvers.js';
import { getLatestPayment } from '../services/payment-service.js';

export const Order: OrderResolvers = {
  /** Orders are not stored here: the key is all this subgraph knows, and all it needs. */
  __resolveReference: (reference) => reference,
  payment: (order, _, ctx) => getLatestPayment(ctx, order.id),
};
