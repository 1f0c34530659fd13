import type { Context } from '../context.js';
import type { OrderRow } from '../db/schema.js';
import { getOrder, toMoney } from '../services/order-service.js';

export const Order = {
  /** Same rule as Query.order: owner or ADMIN, NOT_FOUND for anyone else. */
  __resolveReference: (reference: { id: string }, ctx: Context) => getOrder(ctx, reference.id),
  user: (order: OrderRow) => ({ __typename: 'User', id: order.userId }),
  items: (order: OrderRow, _: unknown, ctx: Context) => ctx.loaders.itemsByOrderId.load(order.id),
  total: (order: OrderRow) => toMoney(order.totalAmount, order.totalCurrency),
};
