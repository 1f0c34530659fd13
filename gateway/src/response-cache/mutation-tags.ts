import { entityTag, listTag } from '@shopgraph/cache';

/**
 * What a mutation purges beyond the entities in its result, by mutation field: the tags its
 * arguments name. Called only for fields that returned a result (a refused mutation changed nothing).
 */
export type MutationTagRules = Readonly<Record<string, (args: Record<string, unknown>) => string[]>>;

/**
 * This graph's rules. The entities a mutation returns are purged without a rule (`restockProduct`
 * needs none); a rule is for what the result cannot show: a list that may gain or lose members,
 * or an entity the result does not return.
 */
export const shopgraphMutationTags: MutationTagRules = {
  createProduct: () => [listTag('products')],
  // A new name or description can move the product into or out of a search.
  updateProduct: () => [listTag('products')],
  deleteProduct: ({ id }) => [entityTag('Product', String(id)), listTag('products')],
  // The customer's orders page gains the order (the list is kept per viewer, under one tag).
  placeOrder: () => [listTag('orders')],
  // The order's payment changes, which the Payment returned does not name: its order's entries hold it.
  payOrder: ({ orderId }) => [entityTag('Order', String(orderId))],
};
