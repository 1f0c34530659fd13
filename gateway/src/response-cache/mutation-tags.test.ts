import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, visit } from 'graphql';
import { describe, expect, it } from 'vitest';
import { cacheHintOf } from '../upstream/subgraph-response.js';
import { shopgraphNeverCachedTypes, withoutTagsOf } from './mutation-tags.js';

const subgraphsDir = fileURLToPath(new URL('../../../subgraphs/', import.meta.url));

/** Each subgraph's SDL: whether it gives any `@cacheControl` hint, and every type it defines or names. */
function subgraphs() {
  return readdirSync(subgraphsDir).map((name) => {
    const sdl = parse(readFileSync(join(subgraphsDir, name, 'schema.graphql'), 'utf8'));
    let hinted = false;
    const types = new Set<string>();
    visit(sdl, {
      Directive(node) {
        if (node.name.value === 'cacheControl') hinted = true;
      },
      ObjectTypeDefinition: (node) => void types.add(node.name.value),
      ObjectTypeExtension: (node) => void types.add(node.name.value),
      InterfaceTypeDefinition: (node) => void types.add(node.name.value),
      UnionTypeDefinition: (node) => void types.add(node.name.value),
      // Every type named anywhere: a field's type, a union's members, an interface implemented.
      NamedType: (node) => void types.add(node.name.value),
    });
    return { name, hinted, types };
  });
}

describe('types no cached entry can hold', () => {
  it('are resolved only by subgraphs that give no cache hint, whose answers the gateway reads as max-age 0', () => {
    const all = subgraphs();
    expect(all.map(({ name }) => name).sort()).toEqual(['orders', 'payments', 'products', 'users']);
    for (const typename of shopgraphNeverCachedTypes) {
      const resolvers = all.filter(({ types }) => types.has(typename));
      expect(resolvers.length, typename).toBeGreaterThan(0);
      expect(resolvers.filter(({ hinted }) => hinted).map(({ name }) => name), `subgraphs with cache hints that name ${typename}`).toEqual([]);
    }
    // The subgraphs with hints are the ones whose answers are kept: the check above is not vacuous.
    expect(all.filter(({ hinted }) => hinted).map(({ name }) => name).sort()).toEqual(['products', 'users']);
    // Such a subgraph sends no cache-control header (Apollo's cache control is off there).
    expect(cacheHintOf(undefined).maxAge).toBe(0);
  });

  it('leave their tags, in every form, out of a purge, and no other tag', () => {
    const tags = ['Order:7', 'Order:?', 'Order', 'Payment:p-1', 'Product:42', 'Product:?', 'User', 'Query.products', 'OrderItem:3'];
    expect(withoutTagsOf(tags, shopgraphNeverCachedTypes)).toEqual(['Product:42', 'Product:?', 'User', 'Query.products', 'OrderItem:3']);
    expect(withoutTagsOf(tags, new Set())).toEqual(tags);
  });
});
