import type { Context } from '../context.js';
import { listUserOrders } from '../services/order-service.js';

/** A stub of the users subgraph's User: this subgraph adds only `orders`. */
export const User = {
  orders: (user: { id: string }, args: { first?: number; after?: string }, ctx: Context) =>
    listUserOrders(ctx, user.id, args),
};
