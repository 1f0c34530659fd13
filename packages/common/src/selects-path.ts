import { Kind, type GraphQLResolveInfo, type SelectionNode } from 'graphql';

/**
 * Whether the operation asks for `path` below the field being resolved (`['edges', 'node',
 * 'items']` under `orders`), through fragments and inline fragments: a resolver that can fetch
 * nested data along with its own (one statement instead of two) does so only when it is asked
 * for. `@skip`/`@include` are not read: a field they leave out is still fetched, never missed.
 */
export function selectsPath(info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>, path: readonly string[]): boolean {
  const selects = (selections: readonly SelectionNode[], depth: number): boolean =>
    selections.some((selection) => {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value !== path[depth]) return false;
        return depth === path.length - 1 || (selection.selectionSet !== undefined && selects(selection.selectionSet.selections, depth + 1));
      }
      const inner = selection.kind === Kind.INLINE_FRAGMENT ? selection.selectionSet : info.fragments[selection.name.value]?.selectionSet;
      return inner !== undefined && selects(inner.selections, depth);
    });
  return path.length > 0 && info.fieldNodes.some((node) => node.selectionSet !== undefined && selects(node.selectionSet.selections, 0));
}
