import { buildSchema, Kind, parse, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { entitiesOf } from './response-entities.js';

const schema = buildSchema(`
  type Money { amount: Int! }
  type Product { id: ID!, name: String!, price: Money!, reviews: [Review!]! }
  type Review { id: ID!, author: User!, product: Product! }
  type User { id: ID!, name: String! }
  type ProductEdge { node: Product! }
  type ProductConnection { edges: [ProductEdge!]!, totalCount: Int! }
  union SearchHit = Product | User
  type Query {
    product(id: ID!): Product
    products(first: Int): ProductConnection!
    featured: [Product!]!
    search(text: String!): [SearchHit!]!
    me: User
  }
  type Mutation { restockProduct(id: ID!, quantity: Int!): Product! }
`);

function walk(source: string, data: Record<string, unknown>, variables?: Record<string, unknown>) {
  const document = parse(source);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const found = entitiesOf({ schema, document, operation, variables, data });
  return {
    identified: [...found.identified].sort(),
    unidentified: [...found.unidentified].sort(),
    types: [...found.types].sort(),
    listRoots: [...found.listRoots].sort(),
  };
}

describe('entitiesOf', () => {
  it('finds entities by their id under any alias, nested, in lists and Relay connections', () => {
    const found = walk(
      `{ products(first: 2) { totalCount edges { node { key: id name price { amount } reviews { id author { id } } } } } }`,
      {
        products: {
          totalCount: 2,
          edges: [
            { node: { key: '1', name: 'a', price: { amount: 1 }, reviews: [{ id: 'r1', author: { id: 'u1' } }] } },
            { node: { key: '2', name: 'b', price: { amount: 2 }, reviews: [] } },
          ],
        },
      },
    );
    expect(found).toEqual({
      identified: ['Product:1', 'Product:2', 'Review:r1', 'User:u1'],
      unidentified: [],
      types: ['Product', 'Review', 'User'],
      listRoots: ['products'],
    });
  });

  it('takes the id of a lookup from its argument, variable or literal, and ties a null answer to it', () => {
    expect(walk('query($id: ID!) { product(id: $id) { name } }', { product: { name: 'x' } }, { id: '42' }).identified).toEqual(['Product:42']);
    expect(walk('{ product(id: "7") { name } }', { product: null })).toMatchObject({ identified: ['Product:7'], types: [] });
  });

  it('reports entities whose id nothing shows as unidentified', () => {
    expect(walk('{ featured { name } me { name } }', { featured: [{ name: 'a' }], me: { name: 'Ann' } })).toEqual({
      identified: [],
      unidentified: ['Product', 'User'],
      types: ['Product', 'User'],
      listRoots: ['featured'],
    });
  });

  it('resolves fragments and __typename on abstract types', () => {
    const found = walk(
      `query { search(text: "a") { kind: __typename ...P ... on User { id } } }
       fragment P on Product { id }`,
      { search: [{ kind: 'Product', id: '3' }, { kind: 'User', id: 'u9' }] },
    );
    expect(found.identified).toEqual(['Product:3', 'User:u9']);
    expect(found.unidentified).toEqual([]);
  });

  it('walks every possible type of an abstract value without __typename: more tags, never fewer', () => {
    const found = walk(`{ search(text: "a") { ... on Product { id } ... on User { name } } }`, { search: [{ id: '3' }] });
    expect(found.identified).toContain('Product:3');
    expect(found.unidentified).toEqual(['User']);
  });

  it('names the entities a mutation returns, the id taken from its argument when not selected', () => {
    const found = walk('mutation { restockProduct(id: "5", quantity: 1) { name } }', { restockProduct: { name: 'x' } });
    expect(found).toMatchObject({ identified: ['Product:5'], unidentified: [], listRoots: [] });
  });

  it('skips fields left out of the response (@skip, @include) and finds nothing without data', () => {
    expect(walk('{ me @skip(if: true) { id } }', {}).types).toEqual([]);
    const document = parse('{ me { id } }');
    const operation = document.definitions[0] as OperationDefinitionNode;
    expect(entitiesOf({ schema, document, operation, variables: {}, data: null }).types.size).toBe(0);
  });
});
