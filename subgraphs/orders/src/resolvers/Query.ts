import type { Context } from '../context.js';
import { getOrder, listOrders } from '../services/order-service.js';

export const Query = {
  order: (_: unknown, args: { id: string }, ctx: Context) => getOrder(ctx, args.id),
  orders: (_: unknown, args: { first?: number; after?: string }, ctx: Context) => listOrders(ctx, args),
};
