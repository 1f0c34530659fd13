import type { Context } from '../context.js';
import { payOrder } from '../services/pay-order.js';

interface PayOrderArgs {
  orderId: string;
  idempotencyKey: string;
  method: { card: string };
}

export const Mutation = {
  payOrder: (_: unknown, args: PayOrderArgs, ctx: Context) =>
    payOrder(ctx, { orderId: args.orderId, idempotencyKey: args.idempotencyKey, card: args.method.card }),
};
