import type { OrderResolvers } from '../generated/resolvers.js';
import { getOrder, toMoney } from '../services/order-service.js';

export const Order: OrderResolvers = {
  /** Same rule as Query.order: owner or ADMIN, NOT_FOUND for anyone else. */
  __resolveReference: (reference, ctx) => getOrder(ctx, reference.id),
  user: (order) => ({ __typename: 'User', id: order.userId }),
  items: (order, _, ctx) => ctx.loaders.itemsByOrderId.load(order.id),
  total: (order) => toMoney(order.totalAmount, order.totalCurrency),
};
