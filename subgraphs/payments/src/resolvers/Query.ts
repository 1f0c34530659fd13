import type { Context } from '../context.js';
import { getPayment } from '../services/payment-service.js';

export const Query = {
  payment: (_: unknown, args: { id: string }, ctx: Context) => getPayment(ctx, args.id),
};
