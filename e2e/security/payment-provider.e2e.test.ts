import { randomBytes } from 'node:crypto';
import { DEV_PAYMENT_PROVIDER_KEY } from '@shopgraph/common';
import { freePort, waitFor } from '@shopgraph/testing';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { dataOf, gql, loginAdmin, registerCustomer } from '../helpers.js';
import { runToExit } from './processes.js';

/**
 * Issue 12 item 7: from another address the payment-provider simulator, which asked for no
 * credentials, listed every charge and refunded one while the platform still showed the order
 * PAID. Here the production platform's simulator requires its secret key, as a real provider
 * does: without it (or with a wrong one) listing, charging and refunding are 401, while payments
 * and the workers, who send it, still take a customer to PAID.
 */

const platform = inject('securityPlatform');
const providerUrl = platform.paymentProviderUrl;
const PATIENCE = { timeoutMs: 30_000, intervalMs: 100 };

const ORDER = 'id status payment { id status }';

interface ProviderAnswer {
  status: number;
  body: { error?: { type: string; code: string }; data?: { id: string; refunded: boolean }[] };
}

/** A request to the simulator's API with `authorization` as the header (none when undefined). */
async function callProvider(method: 'GET' | 'POST', path: string, authorization?: string, body?: unknown): Promise<ProviderAnswer> {
  const response = await fetch(`${providerUrl}${path}`, {
    method,
    headers: {
      ...(authorization === undefined ? {} : { authorization }),
      ...(body === undefined ? {} : { 'content-type': 'application/json', 'idempotency-key': `attack-${randomBytes(8).toString('hex')}` }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as ProviderAnswer['body'] };
}

/** Headers an attacker may try: none, the published development key, a guess as long as the real key, one of another length. */
const attackerHeaders = (): [string, string | undefined][] => [
  ['no key', undefined],
  ['the development key', `Bearer ${DEV_PAYMENT_PROVIDER_KEY}`],
  ['a guess as long as the real key', `Bearer ${'x'.repeat(platform.secrets.paymentProviderKey.length)}`],
  ['a key of another length', `Bearer ${platform.secrets.paymentProviderKey}0`],
];

const withTheKey = `Bearer ${platform.secrets.paymentProviderKey}`;

async function paidOrder(): Promise<{ orderId: string; paymentId: string; token: string }> {
  const admin = await loginAdmin();
  const input = { sku: `PROVIDER-${randomBytes(4).toString('hex')}`, name: 'Provider target', price: { amount: 4200, currency: 'EUR' }, stock: 5 };
  const product = dataOf(await gql('mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }', { input }, admin.token)).createProduct;
  const customer = await registerCustomer();
  const placed = dataOf(
    await gql(`mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { ${ORDER} } }`, { input: { items: [{ productId: product.id, quantity: 1 }] } }, customer.token),
  ).placeOrder;
  const readOrder = async () => dataOf(await gql(`query($id: ID!) { order(id: $id) { ${ORDER} } }`, { id: placed.id }, customer.token)).order;
  await waitFor(async () => (await readOrder()).status === 'AWAITING_PAYMENT', { ...PATIENCE, what: 'the order to await payment' });
  dataOf(
    await gql(
      'mutation($orderId: ID!, $key: String!, $card: String!) { payOrder(orderId: $orderId, idempotencyKey: $key, method: { card: $card }) { id } }',
      { orderId: placed.id, key: `pay-${placed.id}`, card: '4242424242424242' },
      customer.token,
    ),
  );
  const paid = await waitFor(async () => {
    const order = await readOrder();
    return order.status === 'PAID' ? order : undefined;
  }, { ...PATIENCE, what: 'the order to be PAID' });
  expect(paid.payment.status).toBe('SUCCEEDED');
  return { orderId: placed.id, paymentId: paid.payment.id, token: customer.token };
}

describe('the payment provider of the production platform', () => {
  // One checkout for the file: logins and registrations share a per-address limit on the production gateway.
  let paid: Awaited<ReturnType<typeof paidOrder>>;
  let chargeId: string;

  beforeAll(async () => {
    paid = await paidOrder();
  });

  it('charges for payments and the workers, who send the key: a checkout reaches PAID', async () => {
    // The workers charge under the payment's id as the idempotency key.
    const charges = await callProvider('GET', `/v1/charges?idempotency_key=${paid.paymentId}`, withTheKey);
    expect(charges.status).toBe(200);
    expect(charges.body.data).toEqual([expect.objectContaining({ refunded: false })]);
    chargeId = charges.body.data![0]!.id;
  });

  it.each(attackerHeaders())('answers %s with 401 on listing, tokenizing, charging and refunding; the charge stands, the order stays PAID', async (_case, authorization) => {
    const { orderId, paymentId, token } = paid;
    expect(chargeId).toBeDefined();

    const attempts = {
      listEveryCharge: await callProvider('GET', '/v1/charges', authorization),
      listByKey: await callProvider('GET', `/v1/charges?idempotency_key=${paymentId}`, authorization),
      tokenize: await callProvider('POST', '/v1/tokens', authorization, { card: '4242424242424242' }),
      charge: await callProvider('POST', '/v1/charges', authorization, { token: 'tok_any', amount: 100, currency: 'EUR' }),
      refund: await callProvider('POST', '/v1/refunds', authorization, { charge: chargeId }),
    };
    for (const [attempt, answer] of Object.entries(attempts)) {
      expect(answer.status, attempt).toBe(401);
      expect(answer.body, attempt).toEqual({ error: expect.objectContaining({ type: 'invalid_request_error' }) });
    }

    // Nothing was refunded behind the platform's back: the charge stands and the order is PAID.
    expect((await callProvider('GET', `/v1/charges?idempotency_key=${paymentId}`, withTheKey)).body.data).toEqual([
      expect.objectContaining({ id: chargeId, refunded: false }),
    ]);
    const order = dataOf(await gql(`query($id: ID!) { order(id: $id) { ${ORDER} } }`, { id: orderId }, token)).order;
    expect(order).toMatchObject({ status: 'PAID', payment: { status: 'SUCCEEDED' } });
  });

  it('keeps /health and /ready open for probes', async () => {
    for (const path of ['/health', '/ready']) expect((await fetch(`${providerUrl}${path}`)).status, path).toBe(200);
  });

  it('refuses to start in production with the development key, in one line', async () => {
    const env = { ...platform.env, PAYMENT_PROVIDER_KEY: DEV_PAYMENT_PROVIDER_KEY, PAYMENT_PROVIDER_PORT: String(await freePort()) };
    const outcome = await runToExit('payment-provider', 'src/index.ts', env);
    expect(outcome.code).toBe(1);
    expect(outcome.stderr.split('\n').filter((line) => line.startsWith('  - '))).toEqual([
      "  - PAYMENT_PROVIDER_KEY: a development secret published in Shopgraph's source, refused when NODE_ENV=production (generate one: openssl rand -hex 32)",
    ]);
  });
});
