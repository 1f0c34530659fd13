import type { Context } from '../context.js';
import type { Product as ProductRow } from '../db/columns.js';

export const Product = {
  /** Deleted products still resolve here: orders that hold them must show them. */
  __resolveReference: (reference: { id: string }, ctx: Context) => ctx.loaders.productById.load(reference.id),
  price: (product: ProductRow) => ({ amount: product.priceAmount, currency: product.priceCurrency }),
  stock: (product: ProductRow) => product.onHand - product.reserved,
};
