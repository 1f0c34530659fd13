import type { MutationResolvers } from '../generated/resolvers.js';
import { payOrder } from '../services/pay-order.js';

export const Mutation: MutationResolvers = {
  payOrder: (_, args, ctx) =>
    payOrder(ctx, { orderId: args.orderId, idempotencyKey: args.idempotencyKey, card: args.method.card }),
};
