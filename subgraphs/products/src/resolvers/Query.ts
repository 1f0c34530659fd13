import type { Context } from '../context.js';
import { getProduct, listProducts } from '../services/product-service.js';

export const Query = {
  product: (_: unknown, args: { id: string }, ctx: Context) => getProduct(ctx, args.id),
  products: (_: unknown, args: { first?: number; after?: string; search?: string }, ctx: Context) =>
    listProducts(ctx, args),
};
