import type { QueryResolvers } from '../generated/resolvers.js';
import { getPayment } from '../services/payment-service.js';

export const Query: QueryResolvers = {
  payment: (_, args, ctx) => getPayment(ctx, args.id),
};
