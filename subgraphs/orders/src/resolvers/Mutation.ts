import type { Context } from '../context.js';
import { cancelOrder, placeOrder, updateOrderItem, type UpdateOrderItemArgs } from '../services/order-commands.js';

export const Mutation = {
  placeOrder: (_: unknown, args: { input: unknown; idempotencyKey?: string | null }, ctx: Context) =>
    placeOrder(ctx, args.input, args.idempotencyKey),
  updateOrderItem: (_: unknown, args: UpdateOrderItemArgs, ctx: Context) => updateOrderItem(ctx, args),
  cancelOrder: (_: unknown, args: { id: string }, ctx: Context) => cancelOrder(ctx, args.id),
};
