import { Kind, parse, type FragmentDefinitionNode, type OperationDefinitionNode, type FieldNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { selectsPath } from './selects-path.js';

/** The resolve info of the operation's first root field. */
function infoOf(source: string) {
  const document = parse(source);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = Object.fromEntries(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  return { fieldNodes: [operation.selectionSet.selections[0] as FieldNode], fragments };
}

const path = ['edges', 'node', 'items'];

describe('selectsPath', () => {
  it('finds a path of fields', () => {
    expect(selectsPath(infoOf('{ orders { edges { node { id items { quantity } } } } }'), path)).toBe(true);
  });

  it('finds it through named and inline fragments', () => {
    const source = `{ orders { ...Page } } fragment Page on OrderConnection { edges { node { ... on Order { items { quantity } } } } }`;
    expect(selectsPath(infoOf(source), path)).toBe(true);
  });

  it('is false when the path stops short or takes another turn', () => {
    expect(selectsPath(infoOf('{ orders { edges { node { id } } } }'), path)).toBe(false);
    expect(selectsPath(infoOf('{ orders { totalCount pageInfo { hasNextPage } } }'), path)).toBe(false);
    expect(selectsPath(infoOf('{ orders { edges { cursor } } }'), path)).toBe(false);
  });

  it('is false for an empty path', () => {
    expect(selectsPath(infoOf('{ orders { totalCount } }'), [])).toBe(false);
  });
});
