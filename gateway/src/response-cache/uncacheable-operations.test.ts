import { describe, expect, it } from 'vitest';
import { UncacheableOperations } from './uncacheable-operations.js';

const STATUS = 'query Status($id: ID!) { order(id: $id) { status } }';

describe('UncacheableOperations', () => {
  it('knows an operation as uncacheable once an execution said so, whatever its variables, and forgets it when one is cacheable', () => {
    const operations = new UncacheableOperations();
    expect(operations.has({ query: STATUS })).toBe(false);
    operations.learn({ query: STATUS }, false);
    expect(operations.has({ query: STATUS, variables: { id: 'another' } } as never)).toBe(true);
    operations.learn({ query: STATUS }, true);
    expect(operations.has({ query: STATUS })).toBe(false);
  });

  it('tells the operations of one document apart by name, and never knows a body without text', () => {
    const operations = new UncacheableOperations();
    const document = `${STATUS} query Product { product(id: "1") { name } }`;
    operations.learn({ query: document, operationName: 'Status' }, false);
    expect(operations.has({ query: document, operationName: 'Status' })).toBe(true);
    expect(operations.has({ query: document, operationName: 'Product' })).toBe(false);
    expect(operations.has({ query: document })).toBe(false);
    // A persisted query sent by hash alone: nothing to know it by.
    operations.learn({ operationName: 'Status' }, false);
    expect(operations.has({ operationName: 'Status' })).toBe(false);
  });
});
