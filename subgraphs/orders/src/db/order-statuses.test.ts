import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OrderStatusValue } from '@shopgraph/queues';
import { buildASTSchema, parse, type GraphQLEnumType } from 'graphql';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { OrderStatus } from '../generated/resolvers.js';
import { orderStatuses } from './schema.js';

// schema.graphql's OrderStatus is the one source: its generated type checks every copy (the
// `satisfies` in schema.ts, the queues' payload type below), this test that none lacks a value.
describe('order statuses', () => {
  it('are the GraphQL enum, every value of it, in the database column', () => {
    const sdl = readFileSync(join(import.meta.dirname, '../../schema.graphql'), 'utf8');
    // Federation's directives stay unchecked annotations, as in schema/codegen.ts.
    const schema = buildASTSchema(parse(sdl), { assumeValidSDL: true });
    const graphQlEnum = schema.getType('OrderStatus') as GraphQLEnumType;
    expect([...orderStatuses].sort()).toEqual(graphQlEnum.getValues().map((value) => value.name).sort());
  });

  it("are what the workers' step results carry", () => {
    expectTypeOf<OrderStatusValue>().toEqualTypeOf<OrderStatus>();
  });
});
