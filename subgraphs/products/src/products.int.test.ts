import {
  createTestDatabase,
  freePort,
  readCounter,
  signedSubgraphPost,
  subgraphRequest,
  testEnv,
  type TestDatabase,
} from '@shopgraph/testing';
import { NONCE_STORE_UNAVAILABLE, type RunningServer } from '@shopgraph/common/subgraph';
import type { Viewer } from '@shopgraph/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './env.js';
import { createProductsServer } from './server.js';

const admin: Viewer = { id: '00000000-0000-4000-8000-000000000001', role: 'ADMIN' };
const customer: Viewer = { id: '00000000-0000-4000-8000-000000000002', role: 'CUSTOMER' };

const PRODUCT_FIELDS = 'id sku name description price { amount currency } stock createdAt updatedAt';
const CREATE = `mutation($input: CreateProductInput!) { createProduct(input: $input) { ${PRODUCT_FIELDS} } }`;
const LIST = `query($first: Int, $after: String, $search: String) {
  products(first: $first, after: $after, search: $search) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id sku name stock } } }
}`;

let database: TestDatabase;
let server: RunningServer;
let url: string;
const gql = (query: string, variables: Record<string, unknown> = {}, viewer: Viewer | null = null) =>
  subgraphRequest({ url, name: 'products' }, query, variables, viewer);

const createProduct = async (input: Record<string, unknown>) => {
  const result = await gql(CREATE, { input: { price: { amount: 1999, currency: 'EUR' }, stock: 5, ...input } }, admin);
  expect(result.errors).toBeUndefined();
  return result.data!.createProduct;
};

beforeAll(async () => {
  database = await createTestDatabase();
  server = await createProductsServer(loadConfig(testEnv(database.url)));
  url = await server.listen(0, '127.0.0.1');
});

afterAll(async () => {
  await server?.close();
  await database?.drop();
});

describe('catalog writes', () => {
  it('lets an admin create a product with its price in minor units', async () => {
    const product = await createProduct({ sku: 'MUG-1', name: 'Enamel mug', description: 'Blue, 350 ml' });
    expect(product).toMatchObject({ sku: 'MUG-1', name: 'Enamel mug', price: { amount: 1999, currency: 'EUR' }, stock: 5 });
  });

  it('refuses customers with FORBIDDEN and anonymous callers with UNAUTHENTICATED', async () => {
    const input = { sku: 'NOPE-1', name: 'x', price: { amount: 1, currency: 'EUR' }, stock: 1 };
    expect((await gql(CREATE, { input }, customer)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await gql(CREATE, { input })).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('answers a duplicate sku with CONFLICT and writes nothing', async () => {
    await createProduct({ sku: 'DUP-1', name: 'First' });
    const again = await gql(CREATE, { input: { sku: 'DUP-1', name: 'Second', price: { amount: 1, currency: 'EUR' }, stock: 1 } }, admin);
    expect(again.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const found = await gql(LIST, { search: 'DUP-1' });
    expect(found.data!.products.edges.map((e: any) => e.node.name)).toEqual(['First']);
  });

  it.each([
    ['negative stock', { stock: -1 }],
    ['a negative price', { price: { amount: -5, currency: 'EUR' } }],
    ['an unknown currency', { price: { amount: 5, currency: 'XYZ1' } }],
    ['an empty name', { name: '  ' }],
    ['an oversized name', { name: 'x'.repeat(201) }],
    ['a malformed sku', { sku: 'has spaces' }],
  ])('answers %s with BAD_USER_INPUT', async (_, override) => {
    const input = { sku: 'BAD-1', name: 'Bad', price: { amount: 5, currency: 'EUR' }, stock: 1, ...override };
    const result = await gql(CREATE, { input }, admin);
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(result)).not.toMatch(/stack|insert into|select /i);
  });

  it('updates, restocks and soft-deletes', async () => {
    const product = await createProduct({ sku: 'LAMP-1', name: 'Desk lamp' });
    const updated = await gql(
      `mutation($id: ID!) { updateProduct(id: $id, input: { name: "Desk lamp II", price: { amount: 4500, currency: "usd" } }) { name price { amount currency } } }`,
      { id: product.id },
      admin,
    );
    expect(updated.data!.updateProduct).toEqual({ name: 'Desk lamp II', price: { amount: 4500, currency: 'USD' } });

    const restocked = await gql(`mutation($id: ID!) { restockProduct(id: $id, quantity: 7) { stock } }`, { id: product.id }, admin);
    expect(restocked.data!.restockProduct.stock).toBe(12);
    const zero = await gql(`mutation($id: ID!) { restockProduct(id: $id, quantity: 0) { stock } }`, { id: product.id }, admin);
    expect(zero.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');

    const deleted = await gql(`mutation($id: ID!) { deleteProduct(id: $id) }`, { id: product.id }, admin);
    expect(deleted.data!.deleteProduct).toBe(true);
    const hidden = await gql(`query($id: ID!) { product(id: $id) { id } }`, { id: product.id });
    expect(hidden.data!.product).toBeNull();
    expect(hidden.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const listed = await gql(LIST, { search: 'lamp' });
    expect(listed.data!.products.totalCount).toBe(0);

    // Orders that hold a deleted product still resolve it through the entity join.
    const entity = await gql(
      `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Product { id name } } }`,
      { reps: [{ __typename: 'Product', id: product.id }] },
    );
    expect(entity.data!._entities).toEqual([{ id: product.id, name: 'Desk lamp II' }]);
    // And the sku is free again for a new product.
    await createProduct({ sku: 'LAMP-1', name: 'Desk lamp III' });
  });

  it('answers a malformed id with BAD_USER_INPUT and an unknown one with NOT_FOUND', async () => {
    const malformed = await gql(`{ product(id: "42") { id } }`);
    expect(malformed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const unknown = await gql(`{ product(id: "5b0d6a4e-4c6f-4d1e-9a43-3f1c2b7d9e10") { id } }`);
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('catalog reads', () => {
  beforeAll(async () => {
    for (let i = 0; i < 60; i++) {
      await createProduct({ sku: `TEE-${i}`, name: `Cotton tee number ${i}`, description: i % 2 ? 'organic cotton' : 'linen blend' });
    }
  });

  it('pages newest first with cursors and counts the whole result', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const page: any = await gql(LIST, { first: 25, after, search: 'tee' });
      expect(page.data.products.totalCount).toBe(60);
      seen.push(...page.data.products.edges.map((e: any) => e.node.sku));
      after = page.data.products.pageInfo.hasNextPage ? page.data.products.pageInfo.endCursor : null;
      pages++;
    } while (after);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 60 }, (_, i) => `TEE-${59 - i}`));
  });

  it('searches name, sku and description with the full-text index', async () => {
    const organic = await gql(LIST, { first: 100, search: 'organic' });
    expect(organic.data!.products.totalCount).toBe(30);
    const bySku = await gql(LIST, { search: 'TEE-7' });
    expect(bySku.data!.products.edges.map((e: any) => e.node.sku)).toContain('TEE-7');
    const stemmed = await gql(LIST, { first: 100, search: 'blends' });
    expect(stemmed.data!.products.totalCount).toBe(30);
  });

  it('refuses out-of-range pages and malformed cursors', async () => {
    expect((await gql(LIST, { first: 0 })).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await gql(LIST, { first: 1000 })).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect((await gql(LIST, { after: 'bm90LWEtY3Vyc29y' })).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('issues as many SQL statements for 50 rows as for 5', async () => {
    const metrics = url.replace('/graphql', '/metrics');
    const statementsFor = async (first: number) => {
      const before = await readCounter(metrics, 'shopgraph_sql_statements_total');
      const result = await gql(LIST, { first, search: 'tee' });
      expect(result.data!.products.edges).toHaveLength(first);
      return (await readCounter(metrics, 'shopgraph_sql_statements_total')) - before;
    };
    const forFive = await statementsFor(5);
    expect(forFive).toBeGreaterThan(0);
    expect(await statementsFor(50)).toBe(forFive);
  });

  it('resolves many entity references with one statement', async () => {
    const page = await gql(LIST, { first: 40, search: 'tee' });
    const reps = page.data!.products.edges.map((e: any) => ({ __typename: 'Product', id: e.node.id }));
    const metrics = url.replace('/graphql', '/metrics');
    const before = await readCounter(metrics, 'shopgraph_sql_statements_total');
    const entities = await gql(`query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Product { id } } }`, { reps });
    expect(entities.data!._entities).toHaveLength(40);
    expect((await readCounter(metrics, 'shopgraph_sql_statements_total')) - before).toBe(1);
  });
});

describe('who may call', () => {
  it('refuses a request the gateway did not sign', async () => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ _service { sdl } }' }),
    });
    expect(response.status).toBe(401);
  });

  it('refuses a request whose body differs from the signed one', async () => {
    const signed = signedSubgraphPost({ url, name: 'products' }, JSON.stringify({ query: '{ __typename }' }), customer);
    const response = await fetch(url, { ...signed, body: JSON.stringify({ query: '{ __typename }', variables: {} }) });
    expect(response.status).toBe(401);
  });

  it('serves a signed request once: the same one again, or as a GET, is refused', async () => {
    const captured = signedSubgraphPost({ url, name: 'products' }, JSON.stringify({ query: '{ __typename }' }), customer);
    expect((await fetch(url, captured)).status).toBe(200);
    const replayed = await fetch(url, captured);
    expect(replayed.status).toBe(401);
    expect(await replayed.json()).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
    const fresh = signedSubgraphPost({ url, name: 'products' }, '', customer);
    expect((await fetch(`${url}?query=${encodeURIComponent('{ __typename }')}`, { method: 'GET', headers: fresh.headers })).status).toBe(401);
  });

  it('refuses every request while its Redis (the nonces) does not answer, with 503 and its /ready says so', async () => {
    const cut = await createProductsServer(loadConfig(testEnv(database.url, { REDIS_URL: `redis://127.0.0.1:${await freePort()}` })));
    try {
      const cutUrl = await cut.listen(0, '127.0.0.1');
      const response = await fetch(cutUrl, signedSubgraphPost({ url: cutUrl, name: 'products' }, JSON.stringify({ query: '{ __typename }' })));
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({ errors: [{ extensions: { code: NONCE_STORE_UNAVAILABLE } }] });
      const ready = await fetch(cutUrl.replace('/graphql', '/ready'));
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ checks: { postgres: 'ok', redis: expect.not.stringMatching(/^ok$/) } });
    } finally {
      await cut.close();
    }
  });
});
