/** How the gateway serves one field of the Subscription root: the entity it watches and the query that reads it. */
export interface LiveField {
  /** The entity type the events name. */
  typename: string;
  /** The Query field that reads one entity by `id`, as the subscriber. */
  queryField: string;
  /** The ids the subscription watches, from its arguments (already coerced). */
  idsOf(args: Record<string, unknown>): string[];
}

/** This graph's Subscription root (schema/contract.graphql). */
export const shopgraphLiveFields: Readonly<Record<string, LiveField>> = {
  orderUpdated: { typename: 'Order', queryField: 'order', idsOf: (args) => [String(args.id)] },
  productStock: { typename: 'Product', queryField: 'product', idsOf: (args) => (args.ids as unknown[]).map(String) },
};
