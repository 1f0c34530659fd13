import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoProducts } from '../scripts/demo-data.js';
import { dataOf, gatewayUrl, gql, loginAdmin, registerCustomer } from './helpers.js';

/**
 * Everything a client can send that the platform must refuse as the client's fault: a 4xx (or a
 * 200 with errors) and an error with a code — never HTTP 500, never INTERNAL_SERVER_ERROR. Each
 * case is sent to the started platform (gateway, subgraphs, Postgres) exactly as written, by
 * hostile-input.e2e.test.ts (development) and security/hostile-input.e2e.test.ts (production).
 */
interface HostileCase {
  name: string;
  /** The raw request body: a string is sent as is, anything else as JSON; a function is called when sending. */
  body: unknown;
  method?: 'GET' | 'POST';
  /** Query string of a GET. */
  search?: Record<string, string>;
  headers?: Record<string, string>;
  /** A customer's bearer token, or the admin's. */
  as?: 'customer' | 'admin';
  /** The code the contract names for it; when omitted, any code but INTERNAL_SERVER_ERROR. */
  code?: string;
  /** The HTTP status, when the contract names one. */
  status?: number;
}

const uuid = randomUUID();
const productId = demoProducts[0]!.id;
const cursorOf = (text: string) => Buffer.from(text).toString('base64url');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const op = (query: string, variables: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({ query, variables, ...extra });

const PRODUCTS = 'query($first: Int, $after: String, $search: String) { products(first: $first, after: $after, search: $search) { totalCount edges { node { id } } } }';
const PRODUCT = 'query($id: ID!) { product(id: $id) { id } }';
const REGISTER = 'mutation($input: RegisterInput!) { register(input: $input) { token } }';
const LOGIN = 'mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token } }';
const CREATE_PRODUCT = 'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }';
const UPDATE_PRODUCT = 'mutation($id: ID!, $input: UpdateProductInput!) { updateProduct(id: $id, input: $input) { id } }';
const RESTOCK = 'mutation($id: ID!, $quantity: Int!) { restockProduct(id: $id, quantity: $quantity) { stock } }';
const PLACE_ORDER = 'mutation($input: PlaceOrderInput!, $key: String) { placeOrder(input: $input, idempotencyKey: $key) { id } }';
const PAY_ORDER = 'mutation($id: ID!, $key: String!, $card: String!) { payOrder(orderId: $id, idempotencyKey: $key, method: { card: $card }) { id } }';
const ORDERS = 'query($first: Int, $after: String) { orders(first: $first, after: $after) { edges { node { id } } } }';
const validRegistration = () => ({ email: `hostile-${randomUUID()}@example.com`, password: 'correct horse battery', name: 'Hostile' });
const newSku = () => `HOSTILE-${randomUUID().slice(0, 8)}`;
const nested = (depth: number): unknown => (depth === 0 ? 'x' : { a: nested(depth - 1) });

/** A product of the run's own (made before the corpus is sent), so an overflowing restock could not touch the seeded catalog. */
let restocked: string;

const corpus: HostileCase[] = [
  // The operation itself.
  { name: 'an unknown operationName', body: op('query A { products { totalCount } }', {}, { operationName: 'B' }), code: 'GRAPHQL_VALIDATION_FAILED', status: 400 },
  { name: 'two named operations and no operationName', body: op('query A { me { id } } query B { products { totalCount } }'), code: 'GRAPHQL_VALIDATION_FAILED', status: 400 },
  { name: 'two anonymous operations', body: op('{ me { id } } { products { totalCount } }'), code: 'GRAPHQL_VALIDATION_FAILED', status: 400 },
  { name: 'an operationName for an anonymous operation', body: op('{ me { id } }', {}, { operationName: 'A' }), code: 'GRAPHQL_VALIDATION_FAILED', status: 400 },
  { name: 'a subscription', body: op('subscription { products { totalCount } }'), code: 'GRAPHQL_VALIDATION_FAILED', status: 400 },
  { name: 'a named subscription beside a query, chosen', body: op('query Q { me { id } } subscription S { me { id } }', {}, { operationName: 'S' }), code: 'GRAPHQL_VALIDATION_FAILED', status: 400 },
  { name: 'a syntax error', body: op('{ products { '), code: 'GRAPHQL_PARSE_FAILED', status: 400 },
  { name: 'an unknown field', body: op('{ products { password } }'), code: 'GRAPHQL_VALIDATION_FAILED', status: 400 },
  { name: 'a fragment cycle', body: op('{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }'), code: 'GRAPHQL_VALIDATION_FAILED', status: 400 },
  { name: 'a deeply nested selection', body: op(`{ ${'... on Query { '.repeat(200)}__typename${' }'.repeat(200)} }`), code: 'GRAPHQL_VALIDATION_FAILED', status: 400 },
  { name: 'ten thousand aliases', body: op(`{ ${Array.from({ length: 10_000 }, (_, i) => `a${i}: __typename`).join(' ')} }`), status: 400 },
  { name: 'a query that is not a string', body: { query: 42 }, code: 'BAD_REQUEST', status: 400 },
  { name: 'no query at all', body: {}, code: 'BAD_REQUEST', status: 400 },
  { name: 'an operationName that is not a string', body: op('{ me { id } }', {}, { operationName: ['A'] }), code: 'BAD_REQUEST', status: 400 },
  { name: 'variables that are not an object', body: { query: PRODUCT, variables: 'id' }, code: 'BAD_REQUEST', status: 400 },
  { name: 'extensions that are not an object', body: { query: PRODUCT, extensions: [1] }, code: 'BAD_REQUEST', status: 400 },
  // Persisted queries.
  { name: 'an APQ hash that does not match its query', body: op('{ products { totalCount } }', {}, { extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ me { id } }') } } }), code: 'PERSISTED_QUERY_HASH_MISMATCH', status: 400 },
  { name: 'an APQ hash that is not a hash', body: op('{ products { totalCount } }', {}, { extensions: { persistedQuery: { version: 1, sha256Hash: '../../etc/passwd' } } }), code: 'PERSISTED_QUERY_HASH_MISMATCH', status: 400 },
  { name: 'an APQ hash never registered', body: { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(randomUUID()) } } }, code: 'PERSISTED_QUERY_NOT_FOUND' },
  { name: 'an APQ of an unknown version', body: op('{ products { totalCount } }', {}, { extensions: { persistedQuery: { version: 2, sha256Hash: sha256('{ products { totalCount } }') } } }), status: 400 },
  // The HTTP envelope.
  { name: 'malformed JSON', body: '{"query": "{ me { id } }"', code: 'BAD_REQUEST', status: 400 },
  { name: 'JSON that is a string', body: '"{ me { id } }"', status: 400 },
  { name: 'JSON null', body: 'null', status: 400 },
  { name: 'a batched array', body: [op('{ me { id } }'), op('{ products { totalCount } }')], status: 400 },
  { name: 'an empty batch', body: [], status: 400 },
  { name: 'a text/plain body (a cross-site simple request)', body: JSON.stringify(op('{ me { id } }')), headers: { 'content-type': 'text/plain' }, code: 'BAD_REQUEST', status: 400 },
  { name: 'a form body', body: 'query=%7B%20me%20%7B%20id%20%7D%20%7D', headers: { 'content-type': 'application/x-www-form-urlencoded' }, code: 'BAD_REQUEST', status: 400 },
  { name: 'a content-encoding that is not there', body: JSON.stringify(op('{ me { id } }')), headers: { 'content-encoding': 'gzip' }, status: 400 },
  { name: 'a body over the size limit', body: op(`{ products(search: "${'x'.repeat(2 * 1024 * 1024)}") { totalCount } }`), status: 413 },
  { name: 'a variable nested a hundred thousand deep', body: `{"query": ${JSON.stringify(PRODUCT)}, "variables": {"id": ${'['.repeat(100_000)}${']'.repeat(100_000)}}}`, code: 'BAD_USER_INPUT', status: 400 },
  { name: 'a mutation over GET', method: 'GET', body: undefined, search: { query: 'mutation { login(email: "a@b.c", password: "x") { token } }' }, headers: { 'apollo-require-preflight': 'true' }, status: 405 },
  { name: 'GET with variables that are not JSON', method: 'GET', body: undefined, search: { query: PRODUCT, variables: '{id:' }, headers: { 'apollo-require-preflight': 'true' }, code: 'BAD_REQUEST', status: 400 },
  // Variables and arguments.
  { name: 'null for a non-null variable', body: op(PRODUCT, { id: null }), code: 'BAD_USER_INPUT', status: 400 },
  { name: 'a missing non-null variable', body: op(PRODUCT), code: 'BAD_USER_INPUT', status: 400 },
  { name: 'an object for an ID', body: op(PRODUCT, { id: { $ne: null } }), code: 'BAD_USER_INPUT', status: 400 },
  { name: 'a malformed id', body: op(PRODUCT, { id: "1' or '1'='1" }), code: 'BAD_USER_INPUT' },
  { name: 'an empty id', body: op(PRODUCT, { id: '' }), code: 'BAD_USER_INPUT' },
  { name: 'an id of emoji', body: op(PRODUCT, { id: '😀'.repeat(36) }), code: 'BAD_USER_INPUT' },
  { name: 'a huge first', body: op(PRODUCTS, { first: 1e20 }), code: 'BAD_USER_INPUT', status: 400 },
  { name: 'a first over Int in the query text', body: op('{ products(first: 99999999999) { totalCount } }'), code: 'GRAPHQL_VALIDATION_FAILED', status: 400 },
  { name: 'a fractional first', body: op(PRODUCTS, { first: 1.5 }), code: 'BAD_USER_INPUT', status: 400 },
  { name: 'a negative first', body: op(PRODUCTS, { first: -1 }), code: 'BAD_USER_INPUT' },
  { name: 'first zero', body: op(PRODUCTS, { first: 0 }), code: 'BAD_USER_INPUT' },
  { name: 'first over the page limit', body: op(PRODUCTS, { first: 101 }), code: 'BAD_USER_INPUT' },
  { name: 'first as a string', body: op(PRODUCTS, { first: '10' }), code: 'BAD_USER_INPUT', status: 400 },
  { name: 'after that is not a cursor', body: op(PRODUCTS, { after: '-1' }), code: 'BAD_USER_INPUT' },
  { name: 'after of an empty cursor', body: op(PRODUCTS, { after: cursorOf('|') }), code: 'BAD_USER_INPUT' },
  { name: 'a cursor past the last date a Date holds', body: op(PRODUCTS, { after: cursorOf(`+275760-09-13T00:00:00.001Z|${uuid}`) }), code: 'BAD_USER_INPUT' },
  { name: 'a cursor in the year 200000', body: op(PRODUCTS, { after: cursorOf(`+200000-01-01T00:00:00.000Z|${uuid}`) }), code: 'BAD_USER_INPUT' },
  { name: 'a cursor in the year 0', body: op(PRODUCTS, { after: cursorOf(`0000-01-01T00:00:00.000Z|${uuid}`) }), code: 'BAD_USER_INPUT' },
  { name: 'a cursor before the common era', body: op(PRODUCTS, { after: cursorOf(`-010000-01-01T00:00:00.000Z|${uuid}`) }), code: 'BAD_USER_INPUT' },
  { name: 'a cursor of a bare number', body: op(PRODUCTS, { after: cursorOf(`1|${uuid}`) }), code: 'BAD_USER_INPUT' },
  { name: 'a cursor with a NUL', body: op(PRODUCTS, { after: cursorOf(`2026-01-01T00:00:00.000Z|${uuid}\u0000`) }), code: 'BAD_USER_INPUT' },
  { name: 'an orders cursor past the last date', as: 'customer', body: op(ORDERS, { after: cursorOf(`+275760-09-13T00:00:00.000Z|${uuid}`) }), code: 'BAD_USER_INPUT' },
  { name: 'a negative orders first', as: 'customer', body: op(ORDERS, { first: -5 }), code: 'BAD_USER_INPUT' },
  { name: 'a NUL in a search', body: op(PRODUCTS, { search: 'mug\u0000' }), code: 'BAD_USER_INPUT' },
  { name: 'a NUL in a search literal', body: op('{ products(search: "mug\\u0000") { totalCount } }'), code: 'BAD_USER_INPUT' },
  { name: 'a very long search', body: op(PRODUCTS, { search: 'mug '.repeat(50_000) }), code: 'BAD_USER_INPUT' },
  { name: 'a search of websearch operators only', body: op(PRODUCTS, { search: '"' + '-'.repeat(300) }), code: 'BAD_USER_INPUT' },
  { name: 'a NUL in a registered name', body: op(REGISTER, { input: { ...validRegistration(), name: 'Mallory\u0000' } }), code: 'BAD_USER_INPUT' },
  { name: 'a NUL in a registered email', body: op(REGISTER, { input: { ...validRegistration(), email: 'mallory\u0000@example.com' } }), code: 'BAD_USER_INPUT' },
  { name: 'a NUL in a registered password', body: op(REGISTER, { input: { ...validRegistration(), password: 'correct horse\u0000battery' } }), code: 'BAD_USER_INPUT' },
  { name: 'a NUL in a login email', body: op(LOGIN, { email: 'a\u0000@example.com', password: 'whatever-password' }), code: 'BAD_USER_INPUT' },
  { name: 'a very long registered name', body: op(REGISTER, { input: { ...validRegistration(), name: 'n'.repeat(100_000) } }), code: 'BAD_USER_INPUT' },
  { name: 'an email of unicode lookalikes', body: op(REGISTER, { input: { ...validRegistration(), email: 'аdmin@е2е.shopgraph.local' } }), code: 'BAD_USER_INPUT' },
  { name: 'an unknown field in an input', body: op(REGISTER, { input: { ...validRegistration(), role: 'ADMIN' } }), code: 'BAD_USER_INPUT', status: 400 },
  { name: 'an input nested a thousand deep', body: op(REGISTER, { input: { ...validRegistration(), name: nested(1000) } }), code: 'BAD_USER_INPUT', status: 400 },
  { name: '__proto__ in an input', body: `{"query": ${JSON.stringify(REGISTER)}, "variables": {"input": {"__proto__": {"role": "ADMIN"}, "email": "p@example.com", "password": "correct horse battery", "name": "P"}}}`, code: 'BAD_USER_INPUT', status: 400 },
  { name: 'an unknown enum value', body: op('{ products(first: ADMIN) { totalCount } }'), code: 'GRAPHQL_VALIDATION_FAILED', status: 400 },
  // Writes, as a customer and as the admin.
  { name: 'a NUL in an idempotency key', as: 'customer', body: op(PLACE_ORDER, { input: { items: [{ productId, quantity: 1 }] }, key: 'k\u0000' }), code: 'BAD_USER_INPUT' },
  { name: 'a very long idempotency key', as: 'customer', body: op(PLACE_ORDER, { input: { items: [{ productId, quantity: 1 }] }, key: 'k'.repeat(100_000) }), code: 'BAD_USER_INPUT' },
  { name: 'a huge quantity', as: 'customer', body: op(PLACE_ORDER, { input: { items: [{ productId, quantity: 2_147_483_647 }] } }), code: 'BAD_USER_INPUT' },
  { name: 'a negative quantity', as: 'customer', body: op(PLACE_ORDER, { input: { items: [{ productId, quantity: -1 }] } }), code: 'BAD_USER_INPUT' },
  { name: 'ten thousand order items', as: 'customer', body: op(PLACE_ORDER, { input: { items: Array.from({ length: 10_000 }, () => ({ productId, quantity: 1 })) } }), code: 'BAD_USER_INPUT' },
  { name: 'a malformed product id in an order', as: 'customer', body: op(PLACE_ORDER, { input: { items: [{ productId: 'x', quantity: 1 }] } }), code: 'BAD_USER_INPUT' },
  { name: 'a NUL in a card number', as: 'customer', body: op(PAY_ORDER, { id: uuid, key: 'pay-1', card: '4242\u00004242424242424242' }), code: 'BAD_USER_INPUT' },
  { name: 'a NUL in an order id', as: 'customer', body: op('query($id: ID!) { order(id: $id) { id } }', { id: `${uuid}\u0000` }), code: 'BAD_USER_INPUT' },
  { name: 'a NUL in a product name', as: 'admin', body: op(CREATE_PRODUCT, { input: { sku: newSku(), name: 'Kite\u0000', price: { amount: 100, currency: 'EUR' }, stock: 1 } }), code: 'BAD_USER_INPUT' },
  { name: 'a NUL in a sku', as: 'admin', body: op(CREATE_PRODUCT, { input: { sku: `${newSku()}\u0000`, name: 'Kite', price: { amount: 100, currency: 'EUR' }, stock: 1 } }), code: 'BAD_USER_INPUT' },
  { name: 'a NUL in a currency', as: 'admin', body: op(CREATE_PRODUCT, { input: { sku: newSku(), name: 'Kite', price: { amount: 100, currency: 'EU\u0000' }, stock: 1 } }), code: 'BAD_USER_INPUT' },
  { name: 'a NUL in a description', as: 'admin', body: op(UPDATE_PRODUCT, { id: productId, input: { description: 'Blue\u0000' } }), code: 'BAD_USER_INPUT' },
  { name: 'a negative price', as: 'admin', body: op(CREATE_PRODUCT, { input: { sku: newSku(), name: 'Kite', price: { amount: -1, currency: 'EUR' }, stock: 1 } }), code: 'BAD_USER_INPUT' },
  { name: 'a negative stock', as: 'admin', body: op(CREATE_PRODUCT, { input: { sku: newSku(), name: 'Kite', price: { amount: 100, currency: 'EUR' }, stock: -1 } }), code: 'BAD_USER_INPUT' },
  { name: 'a restock past what stock can count', as: 'admin', body: () => op(RESTOCK, { id: restocked, quantity: 2_147_483_647 }), code: 'BAD_USER_INPUT' },
  { name: 'a restock of a malformed id', as: 'admin', body: op(RESTOCK, { id: 'nope', quantity: 1 }), code: 'BAD_USER_INPUT' },
];

export interface HostileInputOptions {
  /**
   * The address the requests come from, as the loopback proxy the gateway trusts forwards it:
   * the corpus's logins and registrations then count against that address's limit, not the one
   * every other test signs in from.
   */
  clientAddress?: string;
}

/** Sends the whole corpus through the started platform's gateway, one test per case. */
export function describeHostileInput({ clientAddress }: HostileInputOptions = {}): void {
  const forwardedFor: Record<string, string> = clientAddress ? { 'x-forwarded-for': clientAddress } : {};

  let tokens: Record<'customer' | 'admin', string>;

  beforeAll(async () => {
    tokens = { customer: (await registerCustomer()).token, admin: (await loginAdmin()).token };
    const input = { sku: newSku(), name: 'Hostile kite', price: { amount: 100, currency: 'EUR' }, stock: 10 };
    restocked = dataOf(await gql(CREATE_PRODUCT, { input }, tokens.admin)).createProduct.id;
  });

  afterAll(async () => {
    if (restocked) await gql('mutation($id: ID!) { deleteProduct(id: $id) }', { id: restocked }, tokens.admin);
  });

  async function send(hostile: HostileCase): Promise<{ status: number; body: any }> {
    const url = new URL(gatewayUrl());
    for (const [key, value] of Object.entries(hostile.search ?? {})) url.searchParams.set(key, value);
    const body = typeof hostile.body === 'function' ? (hostile.body as () => unknown)() : hostile.body;
    const response = await fetch(url, {
      method: hostile.method ?? 'POST',
      headers: {
        'content-type': 'application/json',
        ...forwardedFor,
        ...(hostile.as ? { authorization: `Bearer ${tokens[hostile.as]}` } : {}),
        ...hostile.headers,
      },
      ...(hostile.method === 'GET' ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    try {
      return { status: response.status, body: JSON.parse(text) };
    } catch {
      return { status: response.status, body: text };
    }
  }

  const codesOf = (body: any): unknown[] => (Array.isArray(body?.errors) ? body.errors.map((error: any) => error?.extensions?.code) : []);

  describe('hostile input through the gateway', () => {
    it.each(corpus.map((hostile) => [hostile.name, hostile] as const))('%s: refused as the client’s fault, with a code', async (_name, hostile) => {
      const { status, body } = await send(hostile);
      expect(status, JSON.stringify(body).slice(0, 500)).toBeLessThan(500);
      const codes = codesOf(body);
      expect(codes.length, JSON.stringify(body).slice(0, 500)).toBeGreaterThan(0);
      for (const code of codes) {
        expect(code).toEqual(expect.any(String));
        expect(code).not.toBe('INTERNAL_SERVER_ERROR');
      }
      if (hostile.code) expect(codes[0], JSON.stringify(body).slice(0, 500)).toBe(hostile.code);
      if (hostile.status) expect(status).toBe(hostile.status);
    });

    it('still answers a well-behaved client after the whole corpus, unicode and all', async () => {
      const search = dataOf(await gql('query($search: String) { products(search: $search) { totalCount } }', { search: 'mug ☕ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u202e' }));
      expect(search.products.totalCount).toEqual(expect.any(Number));
      const named = dataOf<any>(
        await fetch(gatewayUrl(), {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...forwardedFor },
          body: JSON.stringify(op('query A { me { id } } query B { products(first: 1) { totalCount } }', {}, { operationName: 'B' })),
        }).then((response) => response.json() as Promise<any>),
      );
      expect(named.products.totalCount).toEqual(expect.any(Number));
      const registered = await send({ name: 'a unicode name', body: op(REGISTER, { input: { ...validRegistration(), name: 'Zoë 山田 🚀' } }) });
      expect(dataOf<any>(registered.body).register.token).toEqual(expect.any(String));
    });
  });
}
