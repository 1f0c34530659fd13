import type { QueryResolvers } from '../generated/resolvers.js';
import { getProduct, listProducts } from '../services/product-service.js';

export const Query: QueryResolvers = {
  product: (_, args, ctx) => getProduct(ctx, args.id),
  products: (_, args, ctx) => listProducts(ctx, args),
};
