import type { Context } from '../context.js';
import {
  createProduct,
  deleteProduct,
  restockProduct,
  updateProduct,
} from '../services/product-service.js';

export const Mutation = {
  createProduct: (_: unknown, args: { input: unknown }, ctx: Context) => createProduct(ctx, args.input),
  updateProduct: (_: unknown, args: { id: string; input: unknown }, ctx: Context) =>
    updateProduct(ctx, args.id, args.input),
  deleteProduct: (_: unknown, args: { id: string }, ctx: Context) => deleteProduct(ctx, args.id),
  restockProduct: (_: unknown, args: { id: string; quantity: number }, ctx: Context) =>
    restockProduct(ctx, args.id, args.quantity),
};
