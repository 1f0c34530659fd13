import { buildSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { nestedTags, representationTag } from './entity-tags.js';

const schema = buildSchema(`
  type Money { amount: Int! }
  type Order { id: ID!, status: String! }
  type Shipment { id: ID!, carrier: String }
  union Parcel = Order | Shipment
  type Payment { id: ID!, amount: Money!, order: Order, history: [Order!]!, parcel: Parcel }
  type Query { payment: Payment }
`);

describe('entity tags', () => {
  it('tags a representation by its type and id, and none without an id', () => {
    expect(representationTag({ __typename: 'Product', id: '42' })).toBe('Product:42');
    expect(representationTag({ __typename: 'Product', id: 7 })).toBe('Product:7');
    expect(representationTag({ __typename: 'Product', sku: 'A-1' })).toBeUndefined();
  });

  it('tags the entities nested in a value, by id where it shows one and by type where it does not', () => {
    expect(nestedTags(schema, 'Payment', { __typename: 'Payment', amount: { amount: 5 } })).toEqual([]);
    expect(
      nestedTags(schema, 'Payment', {
        order: { id: 'o1', status: 'PAID' },
        history: [{ id: 'o2' }, { status: 'CANCELLED' }],
        parcel: { __typename: 'Shipment', id: 's1' },
      }),
    ).toEqual(['Order:o1', 'Order:o2', 'Order:?', 'Shipment:s1']);
  });

  it('cannot tell (so nothing is kept) what the schema does not describe', () => {
    // An abstract type without __typename, an object under a key that is no field (an alias).
    expect(nestedTags(schema, 'Payment', { parcel: { id: 's1' } })).toBeUndefined();
    expect(nestedTags(schema, 'Payment', { renamed: { id: 'o1' } })).toBeUndefined();
    expect(nestedTags(schema, 'Unknown', {})).toBeUndefined();
    // A scalar under an unknown key holds no entity.
    expect(nestedTags(schema, 'Payment', { total: 5 })).toEqual([]);
  });
});
