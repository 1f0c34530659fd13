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
};

/**
 * Types that no entry of either cache (responses, entities) can hold, so no entry carries their
 * tags (`Order:7`, `Order:?`, `Order`): only subgraphs that give no `@cacheControl` hint resolve
 * them (orders, payments), such a subgraph sends no `cache-control` header (Apollo's cache control
 * is off there, `packages/common/src/subgraph-server.ts`), and the gateway reads an answer
 * without one as max-age 0 (`cacheHintOf`): a response that fetched from it is not stored, nor
 * is an entity fetch to it. A mutation's purge leaves their tags out: it would delete nothing, yet
 * cost a Redis round trip and a message to every gateway. `mutation-tags.test.ts` checks this
 * against the subgraphs' SDLs: a hint given there, or a field of one of these types added to a
 * subgraph with hints, fails it.
 */
export const shopgraphNeverCachedTypes: ReadonlySet<string> = new Set(['Order', 'Payment']);

/** `tags` without those of `types`, in each of the forms a tag of a type takes: `Order:7`, `Order:?`, `Order`. */
export function withoutTagsOf(tags: Iterable<string>, types: ReadonlySet<string>): string[] {
  return [...tags].filter((tag) => {
    const colon = tag.indexOf(':');
    return !types.has(colon < 0 ? tag : tag.slice(0, colon));
  });
}
