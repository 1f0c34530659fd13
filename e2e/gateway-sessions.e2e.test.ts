import { randomBytes } from 'node:crypto';
import { createDb, createLogger, type Db } from '@shopgraph/common';
import type { RunningServer } from '@shopgraph/common/subgraph';
import { loadConfig as loadOrdersConfig } from '@shopgraph/orders/env';
import { createOrdersServer } from '@shopgraph/orders';
import { loadConfig as loadProductsConfig } from '@shopgraph/products/env';
import { createProductsServer } from '@shopgraph/products';
import { loadConfig as loadUsersConfig } from '@shopgraph/users/env';
import { createUsersServer } from '@shopgraph/users';
import { createTestDatabase, gatewayRequest, removeKeysWithPrefix, testEnv, testRedisUrl, waitFor, type TestDatabase } from '@shopgraph/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../gateway/test/test-graph.js';

/*
 * Ending sessions through real gateways: the products, users and orders subgraphs on a fresh
 * database, two gateway replicas on one Redis (this file's own session key prefix), each with the
 * default in-process answer cache. A refusal by the replica that did not serve the logout is
 * awaited with a generous deadline: it comes once that replica's cached answer ages out.
 */

const sessionPrefix = `sgtest:sessions:${randomBytes(4).toString('hex')}:`;
let database: TestDatabase;
let env: Record<string, string>;
let subgraphs: Record<'products' | 'users' | 'orders', { server: RunningServer; url: string }>;
let gatewayA: Awaited<ReturnType<typeof startGateway>>;
let gatewayB: Awaited<ReturnType<typeof startGateway>>;
/** Writes to the users table by SQL, as an operator or a script would, around the users subgraph. */
let operator: Db;
const bySql = (text: string, params: unknown[]) => operator.$client.query(text, params);

const ME = '{ me { id role } }';
const REGISTER = 'mutation($input: RegisterInput!) { register(input: $input) { token user { id } } }';
const LOGIN = 'mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token user { id role } } }';
const CREATE_PRODUCT = 'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }';
const PLACE_ORDER = 'mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { id status } }';

const PATIENCE = { timeoutMs: 15_000, intervalMs: 50 };

async function register(name: string) {
  const email = `${name}-${randomBytes(4).toString('hex')}@example.com`;
  const answer = await gatewayRequest(gatewayA.url, REGISTER, { input: { email, password: 'long enough password', name } });
  expect(answer.errors).toBeUndefined();
  return { email, password: 'long enough password', id: answer.data!.register.user.id as string, token: answer.data!.register.token as string };
}

async function login(email: string, password: string): Promise<{ token: string; role: string }> {
  const answer = await gatewayRequest(gatewayA.url, LOGIN, { email, password });
  expect(answer.errors).toBeUndefined();
  return { token: answer.data!.login.token, role: answer.data!.login.user.role };
}

/** Whether `gateway` answers `me` to `token` (true), or refuses the token with 401 UNAUTHENTICATED (false). */
async function accepted(gateway: typeof gatewayA, token: string): Promise<boolean> {
  const answer = await gatewayRequest(gateway.url, ME, {}, token);
  if (answer.status === 401 && answer.errors?.[0]?.extensions?.code === 'UNAUTHENTICATED') return false;
  expect(answer.errors).toBeUndefined();
  return true;
}

/** Waits until every gateway refuses `token`. */
const refusedEverywhere = (token: string) =>
  Promise.all(
    [gatewayA, gatewayB].map((gateway) =>
      waitFor(async () => !(await accepted(gateway, token)), { ...PATIENCE, what: `${gateway.url} to refuse the token` }),
    ),
  );

const createProduct = (token: string) =>
  gatewayRequest(gatewayA.url, CREATE_PRODUCT, {
    input: { sku: `SKU-${randomBytes(4).toString('hex')}`, name: 'Session-checked kettle', price: { amount: 1500, currency: 'EUR' }, stock: 10 },
  }, token);

beforeAll(async () => {
  database = await createTestDatabase('sg_sessions');
  env = testEnv(database.url, { SESSION_REDIS_PREFIX: sessionPrefix });
  const start = async (server: Promise<RunningServer>) => {
    const running = await server;
    return { server: running, url: await running.listen(0, '127.0.0.1') };
  };
  // One at a time: they bootstrap roles and schemas in the same fresh database.
  const products = await start(createProductsServer(loadProductsConfig(env)));
  const users = await start(createUsersServer(loadUsersConfig(env)));
  const orders = await start(createOrdersServer(loadOrdersConfig(env)));
  subgraphs = { products, users, orders };
  const gatewayEnv = {
    ...env,
    PRODUCTS_URL: products.url,
    USERS_URL: users.url,
    ORDERS_URL: orders.url,
    PAYMENTS_URL: 'http://127.0.0.1:9/graphql',
  };
  gatewayA = await startGateway(gatewayEnv);
  gatewayB = await startGateway(gatewayEnv);
  operator = createDb({ url: database.url, subgraph: 'users', logger: createLogger('test', 'silent'), max: 2 });
});

afterAll(async () => {
  await gatewayA?.close();
  await gatewayB?.close();
  await operator?.$client.end();
  for (const { server } of Object.values(subgraphs ?? {})) await server.close();
  await database?.drop();
  await removeKeysWithPrefix(testRedisUrl, sessionPrefix);
});

describe('logout', () => {
  it('ends the session of the token used, on every gateway, and no other session', async () => {
    const customer = await register('leaver');
    const other = await login(customer.email, customer.password);
    expect(await accepted(gatewayA, customer.token)).toBe(true);
    // Gateway B now holds an answer in its cache, which the logout on A must outlive.
    expect(await accepted(gatewayB, customer.token)).toBe(true);

    const logout = await gatewayRequest(gatewayA.url, 'mutation { logout }', {}, customer.token);
    expect(logout.errors).toBeUndefined();
    expect(logout.data).toEqual({ logout: true });

    // Each gateway once the answer it holds has aged out (SESSION_CHECK_CACHE_MS).
    await refusedEverywhere(customer.token);
    expect(await accepted(gatewayA, other.token)).toBe(true);
    expect(await accepted(gatewayB, other.token)).toBe(true);
    const again = await login(customer.email, customer.password);
    expect(await accepted(gatewayB, again.token)).toBe(true);
  });

  it.each(['logout', 'logoutEverywhere'])('%s is refused to an anonymous request', async (mutation) => {
    const answer = await gatewayRequest(gatewayA.url, `mutation { ${mutation} }`);
    expect(answer.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('logoutEverywhere', () => {
  it("ends every session of the viewer, and no other user's", async () => {
    const customer = await register('everywhere');
    const second = await login(customer.email, customer.password);
    const bystander = await register('bystander');

    const answer = await gatewayRequest(gatewayB.url, 'mutation { logoutEverywhere }', {}, second.token);
    expect(answer.errors).toBeUndefined();
    expect(answer.data).toEqual({ logoutEverywhere: true });

    await refusedEverywhere(customer.token);
    await refusedEverywhere(second.token);
    expect(await accepted(gatewayA, bystander.token)).toBe(true);
    expect(await accepted(gatewayB, bystander.token)).toBe(true);
    // Signing in again starts a session the raise does not touch.
    const fresh = await login(customer.email, customer.password);
    expect(await accepted(gatewayA, fresh.token)).toBe(true);
  });
});

describe('changes made to the account in the database', () => {
  it('a new password ends every session of the user', async () => {
    const customer = await register('reset');
    const bystander = await register('unreset');
    // As an operator's reset would: a new hash, by SQL.
    const hash = `scrypt$16384$8$1$${randomBytes(16).toString('base64')}$${randomBytes(64).toString('base64')}`;
    await bySql('update users.users set password_hash = $1 where id = $2', [hash, customer.id]);

    await refusedEverywhere(customer.token);
    expect(await accepted(gatewayA, bystander.token)).toBe(true);
  });

  it("a demoted admin's old token cannot create products", async () => {
    const promoted = await register('short-lived-admin');
    await bySql("update users.users set role = 'ADMIN' where id = $1", [promoted.id]);
    // The promotion ended the customer session too: the admin signs in again.
    await refusedEverywhere(promoted.token);
    const admin = await login(promoted.email, promoted.password);
    expect(admin.role).toBe('ADMIN');
    expect((await createProduct(admin.token)).errors).toBeUndefined();

    await bySql("update users.users set role = 'CUSTOMER' where id = $1", [promoted.id]);

    await refusedEverywhere(admin.token);
    const refused = await createProduct(admin.token);
    expect(refused.status).toBe(401);
    expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const asCustomer = await login(promoted.email, promoted.password);
    expect((await createProduct(asCustomer.token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it("a deleted user's token cannot place an order", async () => {
    const { token: adminToken } = await login('admin@shopgraph.local', 'admin-password');
    const product = await createProduct(adminToken);
    const productId = product.data!.createProduct.id as string;
    const customer = await register('deleted');
    const order = { input: { items: [{ productId, quantity: 1 }] } };
    expect((await gatewayRequest(gatewayA.url, PLACE_ORDER, order, customer.token)).data?.placeOrder).toMatchObject({ status: 'PENDING' });

    await bySql('delete from users.users where id = $1', [customer.id]);

    await refusedEverywhere(customer.token);
    for (const gateway of [gatewayA, gatewayB]) {
      const refused = await gatewayRequest(gateway.url, PLACE_ORDER, order, customer.token);
      expect(refused.status).toBe(401);
      expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
  });
});

describe('ADMIN_EMAIL', () => {
  it('names the only bootstrap admin: a start with another one demotes the previous admin and ends its sessions', async () => {
    const previous = await login('admin@shopgraph.local', 'admin-password');
    expect(previous.role).toBe('ADMIN');

    // A replica started with the new setting, as a rolling deploy would.
    const next = { email: `new-admin-${randomBytes(4).toString('hex')}@example.com`, password: 'new admin password' };
    const replica = await createUsersServer(loadUsersConfig({ ...env, ADMIN_EMAIL: next.email, ADMIN_PASSWORD: next.password }));
    await replica.close();

    await refusedEverywhere(previous.token);
    expect((await createProduct(previous.token)).errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await login('admin@shopgraph.local', 'admin-password')).role).toBe('CUSTOMER');
    const admin = await login(next.email, next.password);
    expect(admin.role).toBe('ADMIN');
    expect((await createProduct(admin.token)).errors).toBeUndefined();
  });
});
