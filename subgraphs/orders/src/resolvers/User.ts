import type { UserResolvers } from '../generated/resolvers.js';
import { listUserOrders } from '../services/order-service.js';

/** A stub of the users subgraph's User: this subgraph adds only `orders`. */
export const User: UserResolvers = {
  orders: (user, args, ctx) => listUserOrders(ctx, user.id, args),
};
