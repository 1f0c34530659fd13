import type { MutationResolvers } from '../generated/resolvers.js';
import {
  createProduct,
  deleteProduct,
  restockProduct,
  updateProduct,
} from '../services/product-service.js';

export const Mutation: MutationResolvers = {
  createProduct: (_, args, ctx) => createProduct(ctx, args.input),
  updateProduct: (_, args, ctx) => updateProduct(ctx, args.id, args.input),
  deleteProduct: (_, args, ctx) => deleteProduct(ctx, args.id),
  restockProduct: (_, args, ctx) => restockProduct(ctx, args.id, args.quantity),
};
