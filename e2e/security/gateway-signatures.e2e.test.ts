import { signRequest, type Viewer } from '@shopgraph/common';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { dataOf, gql, login, registerCustomer } from '../helpers.js';

/**
 * Issue 12 item 1 against the platform as production runs it: an attacker inside the network
 * captures a gateway → subgraph request (its `x-shopgraph-*` headers and body) and replays it, as
 * the attack did: POSTed again, as a GET with any query string, at another subgraph.
 */

const platform = inject('securityPlatform');
type Subgraph = keyof typeof platform.subgraphUrls;

/** A subgraph call exactly as the gateway signs it with the platform's secret: what the attacker captured. */
function captured(subgraph: Subgraph, query: string, variables: Record<string, unknown>, viewer: Viewer) {
  const body = JSON.stringify({ query, variables });
  const url = platform.subgraphUrls[subgraph];
  const signature = signRequest(platform.secrets.gatewaySecret, { method: 'POST', url, audience: subgraph, body }, viewer);
  return { headers: { 'content-type': 'application/json', ...signature }, body };
}

/** What a subgraph answered: status, first error code, data. */
async function send(url: string, init: RequestInit) {
  const response = await fetch(url, init);
  const answer = (await response.json()) as { data?: Record<string, any> | null; errors?: { extensions?: { code?: string } }[] };
  return { status: response.status, code: answer.errors?.[0]?.extensions?.code, data: answer.data };
}

const refused = { status: 401, code: 'UNAUTHENTICATED', data: undefined };
const asGet = (subgraph: Subgraph, query: string) => `${platform.subgraphUrls[subgraph]}?query=${encodeURIComponent(query)}`;

const PLACE_ORDER = 'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id } }';

let admin: Viewer;
let customer: Viewer & { token: string };
let productId: string;

beforeAll(async () => {
  const signedIn = await login(platform.admin.email, platform.admin.password);
  admin = { id: signedIn.userId, role: 'ADMIN' };
  const created = dataOf(
    await gql(
      'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }',
      { input: { sku: `SIG-${Date.now()}`, name: 'Replay target', price: { amount: 1000, currency: 'EUR' }, stock: 50 } },
      signedIn.token,
    ),
  );
  productId = created.createProduct.id;
  const registered = await registerCustomer();
  customer = { id: registered.userId, role: 'CUSTOMER', token: registered.token };
});

describe('a captured gateway → subgraph request', () => {
  it('places one order however often it is POSTed again', async () => {
    const placeOrder = captured('orders', PLACE_ORDER, { input: { items: [{ productId, quantity: 1 }] } }, customer);
    // The gateway's own send: served.
    const first = await send(platform.subgraphUrls.orders, { method: 'POST', ...placeOrder });
    expect(first.status).toBe(200);
    expect(first.data?.placeOrder.id).toEqual(expect.any(String));
    for (let replay = 0; replay < 3; replay++) {
      expect(await send(platform.subgraphUrls.orders, { method: 'POST', ...placeOrder })).toEqual(refused);
    }
    const mine = dataOf(await gql('{ orders { totalCount } }', {}, customer.token));
    expect(mine.orders.totalCount).toBe(1);
  });

  it('reads nothing as a GET with any query string, from its own subgraph or another', async () => {
    const call = captured('orders', '{ orders { totalCount } }', {}, admin);
    const everyEmail = `{ _entities(representations: [{ __typename: "User", id: "${customer.id}" }]) { ... on User { id email role } } }`;
    const attacks: [Subgraph, string][] = [
      ['users', everyEmail],
      ['orders', '{ orders(first: 100) { totalCount edges { node { id } } } }'],
      ['payments', '{ _service { sdl } }'],
      ['products', '{ _service { sdl } }'],
    ];
    for (const [subgraph, query] of attacks) {
      expect(await send(asGet(subgraph, query), { method: 'GET', headers: { ...call.headers, 'apollo-require-preflight': 'true' } })).toEqual(refused);
    }
  });

  it('is refused by every other subgraph, with its own body or another, and still good only where it was meant to go', async () => {
    const call = captured('orders', '{ orders { totalCount } }', {}, admin);
    const everyEmail = JSON.stringify({
      query: `{ _entities(representations: [{ __typename: "User", id: "${customer.id}" }]) { ... on User { id email role } } }`,
    });
    for (const subgraph of ['users', 'products', 'payments'] as const) {
      expect(await send(platform.subgraphUrls[subgraph], { method: 'POST', ...call })).toEqual(refused);
    }
    expect(await send(platform.subgraphUrls.users, { method: 'POST', headers: call.headers, body: everyEmail })).toEqual(refused);
    expect(await send(`${platform.subgraphUrls.orders}?operationName=other`, { method: 'POST', ...call })).toEqual(refused);
    // Each refusal above was the binding's: at its own subgraph, path and body the request is served, once.
    const served = await send(platform.subgraphUrls.orders, { method: 'POST', ...call });
    expect(served).toMatchObject({ status: 200, data: { orders: { totalCount: expect.any(Number) } } });
    expect(await send(platform.subgraphUrls.orders, { method: 'POST', ...call })).toEqual(refused);
  });

  it('is served once when sent twice at the same time', async () => {
    const placeOrder = captured('orders', PLACE_ORDER, { input: { items: [{ productId, quantity: 1 }] } }, customer);
    // Counted past the caches: an order placed behind the gateway's back purges no cached orders page.
    const count = async () => dataOf(await gql('{ me { orders { totalCount } } }', {}, customer.token)).me.orders.totalCount as number;
    const before = await count();
    const answers = await Promise.all([1, 2].map(() => send(platform.subgraphUrls.orders, { method: 'POST', ...placeOrder })));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 401]);
    expect(await count()).toBe(before + 1);
  });
});
