import { selectsPath } from '@shopgraph/common';
import type { QueryResolvers } from '../generated/resolvers.js';
import { getOrder, listOrders } from '../services/order-service.js';

export const Query: QueryResolvers = {
  order: (_, args, ctx) => getOrder(ctx, args.id),
  orders: (_, args, ctx, info) =>
    listOrders(ctx, args, { count: selectsPath(info, ['totalCount']), items: selectsPath(info, ['edges', 'node', 'items']) }),
};
