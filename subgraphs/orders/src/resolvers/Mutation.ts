import type { MutationResolvers } from '../generated/resolvers.js';
import { cancelOrder, placeOrder, updateOrderItem } from '../services/order-commands.js';

export const Mutation: MutationResolvers = {
  placeOrder: (_, args, ctx) => placeOrder(ctx, args.input, args.idempotencyKey),
  updateOrderItem: (_, args, ctx) => updateOrderItem(ctx, args),
  cancelOrder: (_, args, ctx) => cancelOrder(ctx, args.id),
};
