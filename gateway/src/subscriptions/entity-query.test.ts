import { buildSchema, getOperationAST, parse, print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { entitySubscriptionOf } from './entity-query.js';
import { shopgraphLiveFields } from './live-fields.js';

const schema = buildSchema(`
  type Money { amount: Int! currency: String! }
  type Order { id: ID! status: String! total(currency: String): Money }
  type Product { id: ID! stock: Int! }
  type Query { order(id: ID!): Order product(id: ID!): Product }
  type Subscription { orderUpdated(id: ID!): Order! productStock(ids: [ID!]!): Product! }
`);

const read = (source: string, variables: Record<string, unknown> = {}) => {
  const document = parse(source);
  return entitySubscriptionOf(schema, document, getOperationAST(document)!, variables, shopgraphLiveFields);
};

describe('entitySubscriptionOf', () => {
  it('turns the subscription into a read of one entity with the same selection, fragments and variables', () => {
    const read1 = read(
      `subscription Watch($id: ID!, $currency: String) { mine: orderUpdated(id: $id) { ...Parts total(currency: $currency) { amount } } }
       fragment Parts on Order { id status }`,
      { id: 'o-1', currency: 'EUR' },
    );
    expect(read1).toMatchObject({ field: 'orderUpdated', ids: ['o-1'], responseKey: 'mine' });
    expect(print(read1!.query)).toBe(
      print(
        parse(`query Watch($shopgraphEntityId: ID!, $currency: String) { mine: order(id: $shopgraphEntityId) { ...Parts total(currency: $currency) { amount } } }
               fragment Parts on Order { id status }`),
      ),
    );
  });

  it('watches each product id once and drops the variable only the ids used', () => {
    const read1 = read(`subscription($ids: [ID!]!) { productStock(ids: $ids) { stock } }`, { ids: ['p-1', 'p-2', 'p-1'] });
    expect(read1?.ids).toEqual(['p-1', 'p-2']);
    expect(print(read1!.query)).toBe(print(parse(`query($shopgraphEntityId: ID!) { productStock: product(id: $shopgraphEntityId) { stock } }`)));
  });

  it('serves only the fields it knows, one per operation', () => {
    expect(read(`subscription { __typename }`)).toBeNull();
    expect(read(`subscription { a: productStock(ids: ["1"]) { id } b: productStock(ids: ["2"]) { id } }`)).toBeNull();
  });
});
