import { randomBytes } from 'node:crypto';
import { createDb, createLogger, verifyToken, type Db } from '@shopgraph/common';
import { freePort, gatewayRequest, waitFor, type GraphQLResponse } from '@shopgraph/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { codeOf, dataOf, gql, login, registerCustomer } from '../helpers.js';
import { healthy, startEntry, type StartedEntry } from './processes.js';

/**
 * Issue 12 item 4 against the platform as production runs it: a token outlived the session it
 * belonged to — a deleted user's token placed an order, a user demoted to CUSTOMER in the database
 * kept creating products with the old ADMIN token, a former ADMIN_EMAIL could still sign in as
 * ADMIN. Here each ended session's token is refused by the platform's gateway and by a second
 * gateway replica started beside it on the same Redis, within seconds.
 */

const platform = inject('securityPlatform');
let replica: { url: string; process: StartedEntry };
/** The users table written by SQL, as an operator or a script would, around the users subgraph. */
let operator: Db;
let productId: string;

const CREATE_PRODUCT = 'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }';
const PLACE_ORDER = 'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }';
const PATIENCE = { timeoutMs: 20_000, intervalMs: 100 };

const createProduct = (token: string) =>
  gql(CREATE_PRODUCT, { input: { sku: `SESSION-${randomBytes(4).toString('hex')}`, name: 'Session target', price: { amount: 900, currency: 'EUR' }, stock: 20 } }, token);

const refused = (response: GraphQLResponse) => response.status === 401 && codeOf(response) === 'UNAUTHENTICATED';

/** Waits until the platform's gateway and the replica both refuse `token` with 401 UNAUTHENTICATED. */
async function refusedByEveryGateway(token: string): Promise<void> {
  for (const url of [platform.gatewayUrl, replica.url]) {
    await waitFor(async () => refused(await gatewayRequest(url, '{ me { id } }', {}, token)), { ...PATIENCE, what: `${url} to refuse the token` });
  }
}

const acceptedByEveryGateway = async (token: string) => {
  for (const url of [platform.gatewayUrl, replica.url]) expect(dataOf(await gatewayRequest(url, '{ me { id } }', {}, token)).me).not.toBeNull();
};

beforeAll(async () => {
  const port = await freePort();
  const started = startEntry('gateway', 'src/index.ts', { ...platform.env, GATEWAY_PORT: String(port) });
  replica = { url: `http://127.0.0.1:${port}/graphql`, process: started };
  await healthy(`http://127.0.0.1:${port}/health`, started);
  operator = createDb({ url: platform.databaseUrl, subgraph: 'users', logger: createLogger('test', 'silent'), max: 2 });
  const admin = await login(platform.admin.email, platform.admin.password);
  productId = dataOf(await createProduct(admin.token)).createProduct.id;
});

afterAll(async () => {
  await replica?.process.kill();
  await operator?.$client.end();
});

describe('tokens', () => {
  it('live 15 minutes, not 12 hours, and name their session', async () => {
    const { token } = await registerCustomer();
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { iat: number; exp: number; sid: string; ver: number };
    expect(claims.exp - claims.iat).toBe(15 * 60);
    expect(claims.sid).toEqual(expect.any(String));
    expect((await verifyToken(platform.secrets.jwtSecret, token))?.session.version).toBe(0);
  });
});

describe('an ended session', () => {
  it('logout: the token is refused by every gateway; the same user’s other session is not', async () => {
    const customer = await registerCustomer();
    const other = await login(customer.email, 'correct horse battery');
    await acceptedByEveryGateway(customer.token);
    expect(dataOf(await gql('mutation { logout }', {}, customer.token))).toEqual({ logout: true });
    await refusedByEveryGateway(customer.token);
    await acceptedByEveryGateway(other.token);
  });

  it('logoutEverywhere: every token of the user is refused, another user’s is not', async () => {
    const customer = await registerCustomer();
    const other = await login(customer.email, 'correct horse battery');
    const bystander = await registerCustomer();
    expect(dataOf(await gatewayRequest(replica.url, 'mutation { logoutEverywhere }', {}, other.token))).toEqual({ logoutEverywhere: true });
    await refusedByEveryGateway(customer.token);
    await refusedByEveryGateway(other.token);
    await acceptedByEveryGateway(bystander.token);
  });

  it('a password changed in the database: the old token is refused', async () => {
    const customer = await registerCustomer();
    const hash = `scrypt$16384$8$1$${randomBytes(16).toString('base64')}$${randomBytes(64).toString('base64')}`;
    await operator.$client.query('update users.users set password_hash = $1 where id = $2', [hash, customer.userId]);
    await refusedByEveryGateway(customer.token);
  });

  it('an ADMIN demoted to CUSTOMER in the database: the old ADMIN token creates no product', async () => {
    const customer = await registerCustomer();
    await operator.$client.query("update users.users set role = 'ADMIN' where id = $1", [customer.userId]);
    await refusedByEveryGateway(customer.token);
    const admin = await login(customer.email, 'correct horse battery');
    expect(dataOf(await createProduct(admin.token)).createProduct.id).toEqual(expect.any(String));

    await operator.$client.query("update users.users set role = 'CUSTOMER' where id = $1", [customer.userId]);

    await refusedByEveryGateway(admin.token);
    for (const url of [platform.gatewayUrl, replica.url]) {
      const attempt = await gatewayRequest(url, CREATE_PRODUCT, { input: { sku: `SESSION-${randomBytes(4).toString('hex')}`, name: 'Too late', price: { amount: 900, currency: 'EUR' }, stock: 1 } }, admin.token);
      expect(refused(attempt)).toBe(true);
    }
  });

  it('a user deleted from the database: their token places no order', async () => {
    const customer = await registerCustomer();
    const order = { input: { items: [{ productId, quantity: 1 }] } };
    expect(dataOf(await gql(PLACE_ORDER, order, customer.token)).placeOrder.status).toBe('PENDING');

    await operator.$client.query('delete from users.users where id = $1', [customer.userId]);

    await refusedByEveryGateway(customer.token);
    for (const url of [platform.gatewayUrl, replica.url]) expect(refused(await gatewayRequest(url, PLACE_ORDER, order, customer.token))).toBe(true);
  });
});

describe('ADMIN_EMAIL', () => {
  /** Starts a users subgraph replica with `admin` configured, as a deploy would, and stops it once it has started. */
  async function deployUsersWith(admin: { email: string; password: string }) {
    const port = await freePort();
    const started = startEntry('subgraphs/users', 'src/index.ts', { ...platform.env, USERS_PORT: String(port), ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password });
    try {
      await healthy(`http://127.0.0.1:${port}/health`, started);
    } finally {
      await started.kill();
    }
  }

  it('changed: the previous admin is a CUSTOMER at once, its token refused; changed back, it is ADMIN again', async () => {
    const previous = await login(platform.admin.email, platform.admin.password);
    const next = { email: `next-admin-${randomBytes(4).toString('hex')}@example.com`, password: `Next-${randomBytes(12).toString('base64url')}` };
    try {
      await deployUsersWith(next);
      await refusedByEveryGateway(previous.token);
      expect(codeOf(await createProduct((await login(platform.admin.email, platform.admin.password)).token))).toBe('FORBIDDEN');
      expect(dataOf(await createProduct((await login(next.email, next.password)).token)).createProduct.id).toEqual(expect.any(String));
    } finally {
      // The platform's own ADMIN_EMAIL again, for the files after this one.
      await deployUsersWith(platform.admin);
    }
    expect(dataOf(await createProduct((await login(platform.admin.email, platform.admin.password)).token)).createProduct.id).toEqual(expect.any(String));
    expect(codeOf(await createProduct((await login(next.email, next.password)).token))).toBe('FORBIDDEN');
  });
});
