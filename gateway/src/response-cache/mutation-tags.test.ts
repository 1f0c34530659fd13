import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listTag } from '@shopgraph/cache';
import { Kind, parse, print, type ConstDirectiveNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { shopgraphMutationTags } from './mutation-tags.js';

const subgraphsDir = fileURLToPath(new URL('../../../subgraphs/', import.meta.url));

const maxAgeOf = (directives: readonly ConstDirectiveNode[] | undefined): number | undefined => {
  const argument = directives?.find((directive) => directive.name.value === 'cacheControl')?.arguments?.find((arg) => arg.name.value === 'maxAge');
  return argument?.value.kind === Kind.INT ? Number(argument.value.value) : undefined;
};

/**
 * The list roots (a list, or a connection: the caches tag both `Query.<field>`) of every
 * subgraph that carry a hint of their own with a max-age above 0: the lists a cache may keep.
 */
function keptListRoots(): string[] {
  return readdirSync(subgraphsDir).flatMap((name) => {
    const sdl = parse(readFileSync(join(subgraphsDir, name, 'schema.graphql'), 'utf8'));
    return sdl.definitions.flatMap((definition) =>
      (definition.kind === Kind.OBJECT_TYPE_DEFINITION || definition.kind === Kind.OBJECT_TYPE_EXTENSION) && definition.name.value === 'Query'
        ? (definition.fields ?? [])
            .filter((field) => (maxAgeOf(field.directives) ?? 0) > 0 && /^\[|Connection!?$/.test(print(field.type)))
            .map((field) => field.name.value)
        : [],
    );
  });
}

describe('shopgraphMutationTags', () => {
  it('purges the list tag of every list root a cache may keep, from a mutation that adds to it', () => {
    const purged = new Set(Object.values(shopgraphMutationTags).flatMap((rule) => rule({ id: '1', orderId: '1' })));
    const lists = keptListRoots();
    // Not vacuous: the catalog and the customer's orders are kept.
    expect(lists.sort()).toEqual(['orders', 'products']);
    for (const field of lists) expect(purged, field).toContain(listTag(field));
  });

  it('purges the order whose payment payOrder changed', () => {
    expect(shopgraphMutationTags.payOrder!({ orderId: 'o-1', idempotencyKey: 'k' })).toEqual(['Order:o-1']);
  });
});
