import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { afterAll, describe, expect, it } from 'vitest';
import { staticCacheControl } from './static-cache-control.js';

// The hints the subgraphs use (subgraphs/*/schema.graphql), in one schema: a type hint, a field
// hint below it, PRIVATE types, inheriting types, an entity with no max-age, a root field at 0.
const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key", "@shareable"])
  enum CacheControlScope { PUBLIC PRIVATE }
  directive @cacheControl(maxAge: Int, scope: CacheControlScope, inheritMaxAge: Boolean) on FIELD_DEFINITION | OBJECT | INTERFACE | UNION

  type Money @shareable @cacheControl(inheritMaxAge: true) { amount: Int! currency: String! }
  type Product @key(fields: "id") @cacheControl(maxAge: 30) { id: ID! name: String! price: Money! stock: Int! @cacheControl(maxAge: 5) }
  type ProductEdge @cacheControl(inheritMaxAge: true) { node: Product! }
  type ProductConnection @cacheControl(inheritMaxAge: true) { edges: [ProductEdge!]! totalCount: Int! }
  type Order @key(fields: "id") @cacheControl(maxAge: 60, scope: PRIVATE) { id: ID! total: Money items: [Item!]! user: User! }
  type Item @cacheControl(inheritMaxAge: true) { quantity: Int! product: Product! }
  type OrderEdge @cacheControl(inheritMaxAge: true) { node: Order! }
  type OrderConnection @cacheControl(inheritMaxAge: true) { edges: [OrderEdge!]! }
  type User @key(fields: "id") @cacheControl(inheritMaxAge: true) { id: ID! orders: OrderConnection! }
  type Query {
    products(empty: Boolean): ProductConnection! @cacheControl(maxAge: 30)
    orders: OrderConnection! @cacheControl(maxAge: 60, scope: PRIVATE)
    order(id: ID!): Order @cacheControl(maxAge: 0)
    failing: Product
  }
`);

const money = { amount: 100, currency: 'EUR' };
const product = (id: string) => ({ id, name: `product ${id}`, price: money, stock: 3 });
const order = (id: string) => ({ id, total: money, items: [{ quantity: 1, product: product('p1') }], user: { id: 'u1' } });
const orders = { edges: [{ node: order('o1') }] };
const resolvers = {
  Query: {
    products: (_: unknown, { empty }: { empty?: boolean }) => ({ edges: empty ? [] : [{ node: product('p1') }], totalCount: empty ? 0 : 1 }),
    orders: () => orders,
    order: (_: unknown, { id }: { id: string }) => order(id),
    failing: () => {
      throw new Error('no');
    },
  },
  Product: { __resolveReference: ({ id }: { id: string }) => product(id) },
  Order: { __resolveReference: ({ id }: { id: string }) => order(id) },
  User: { __resolveReference: ({ id }: { id: string }) => ({ id }), orders: () => orders },
};

const server = (plugins: NonNullable<ConstructorParameters<typeof ApolloServer>[0]['plugins']>) =>
  new ApolloServer({ schema: buildSubgraphSchema([{ typeDefs, resolvers: resolvers as never }]), plugins: [ApolloServerPluginInlineTraceDisabled(), ...plugins] });
const apollos = server([]);
const ours = server([ApolloServerPluginCacheControlDisabled(), staticCacheControl()]);
afterAll(() => Promise.all([apollos.stop(), ours.stop()]));

const headerOf = async (target: ApolloServer, query: string, variables?: Record<string, unknown>) =>
  (await target.executeOperation({ query, ...(variables ? { variables } : {}) })).http.headers.get('cache-control');

const entities = `query($representations: [_Any!]!) { _entities(representations: $representations) {
  ... on Product { name price { amount } }
  ... on Order { id total { amount } items { quantity product { id } } }
  ... on User { orders { edges { node { id } } } }
} }`;
const list = (...typenames: string[]) => typenames.map((__typename, i) => ({ __typename, id: `${__typename}${i}` }));
const reps = (...typenames: string[]) => ({ representations: list(...typenames) });
// Two entity fetches under other names: the policy depends on which types each variable names.
const aliased = `query($a: [_Any!]!, $b: [_Any!]!) {
  one: _entities(representations: $a) { ... on Product { name } }
  two: _entities(representations: $b) { ... on Order { id } ... on Product { stock } }
}`;

describe('staticCacheControl', () => {
  const cases: [string, string, Record<string, unknown> | undefined, string][] = [
    ['a type hint through inheriting types', '{ products { edges { node { id name price { amount } } } totalCount } }', undefined, 'max-age=30, public'],
    ['a field hint below it', '{ products { edges { node { stock } } } }', undefined, 'max-age=5, public'],
    ['a PRIVATE root and type', '{ orders { edges { node { id total { amount } items { quantity product { name } } } } } }', undefined, 'max-age=30, private'],
    ['a root field at 0', '{ order(id: "o1") { id } }', undefined, 'no-store'],
    ['introspection alone', '{ __typename }', undefined, 'no-store'],
    ['the service SDL', '{ _service { sdl } }', undefined, 'no-store'],
    ['an error', '{ failing { id } }', undefined, 'no-store'],
    ['named fragments', 'query { products { ...Page } } fragment Page on ProductConnection { edges { node { ...P } } } fragment P on Product { stock }', undefined, 'max-age=5, public'],
    ['entities of one type', entities, reps('Product', 'Product'), 'max-age=30, public'],
    ['PRIVATE entities', entities, reps('Order'), 'max-age=30, private'],
    ['entities of two types', entities, reps('Product', 'Order'), 'max-age=30, private'],
    ['entities of a type with no max-age', entities, reps('User'), 'no-store'],
    ['entities without their variable (refused by the execution, not by the plugin)', entities, {}, 'no-store'],
    ['aliased entity fetches, products then orders', aliased, { a: list('Product'), b: list('Order') }, 'max-age=30, private'],
    ['the same fetches, orders then products', aliased, { a: list('Order'), b: list('Product') }, 'max-age=5, private'],
  ];

  it.each(cases)('gives the header Apollo’s per-field plugin gives: %s', async (_, query, variables, expected) => {
    const theirs = await headerOf(apollos, query, variables);
    expect(theirs).toBe(expected);
    expect(await headerOf(ours, query, variables)).toBe(theirs);
  });

  it('leaves a request it cannot work a policy out for to the execution’s own error', async () => {
    const answer = await ours.executeOperation({ query: entities, variables: {} });
    expect(answer.http.status).toBe(400);
    expect(answer.body).toMatchObject({ singleResult: { errors: [{ extensions: { code: 'BAD_USER_INPUT' } }] } });
  });

  it('counts fields the answer did not reach, so it is never laxer than Apollo’s', async () => {
    // An empty page resolves no product: Apollo keeps the page's 30 s, the operation says 5.
    const query = '{ products(empty: true) { edges { node { stock } } } }';
    expect(await headerOf(apollos, query)).toBe('max-age=30, public');
    expect(await headerOf(ours, query)).toBe('max-age=5, public');
  });

  it('works the policy out per set of entity types, not once per document', async () => {
    expect(await headerOf(ours, entities, reps('Product'))).toBe('max-age=30, public');
    expect(await headerOf(ours, entities, reps('User'))).toBe('no-store');
    expect(await headerOf(ours, entities, reps('Product'))).toBe('max-age=30, public');
  });
});
