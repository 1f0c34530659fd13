import type { Context } from '../context.js';
import type { Payment as PaymentRow } from '../db/schema.js';
import { getPayment } from '../services/payment-service.js';

export const Payment = {
  /** Same rule as Query.payment: owner or ADMIN, NOT_FOUND for anyone else. */
  __resolveReference: (reference: { id: string }, ctx: Context) => getPayment(ctx, reference.id),
  /** The orders subgraph resolves the rest of the order from its key. */
  order: (payment: PaymentRow) => ({ __typename: 'Order', id: payment.orderId }),
  amount: (payment: PaymentRow) => ({ amount: payment.amount, currency: payment.currency }),
};
