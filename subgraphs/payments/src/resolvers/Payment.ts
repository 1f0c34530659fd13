import type { PaymentResolvers } from '../generated/resolvers.js';
import { getPayment } from '../services/payment-service.js';

export const Payment: PaymentResolvers = {
  /** Same rule as Query.payment: owner or ADMIN, NOT_FOUND for anyone else. */
  __resolveReference: (reference, ctx) => getPayment(ctx, reference.id),
  /** The orders subgraph resolves the rest of the order from its key. */
  order: (payment) => ({ __typename: 'Order', id: payment.orderId }),
  amount: (payment) => ({ amount: payment.amount, currency: payment.currency }),
};
