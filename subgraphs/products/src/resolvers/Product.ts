import type { ProductResolvers } from '../generated/resolvers.js';

export const Product: ProductResolvers = {
  /** Deleted products still resolve here: orders that hold them must show them. */
  __resolveReference: (reference, ctx) => ctx.loaders.productById.load(reference.id),
  price: (product) => ({ amount: product.priceAmount, currency: product.priceCurrency }),
  stock: (product) => product.onHand - product.reserved,
};
