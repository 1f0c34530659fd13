import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { entityTag, createCacheInvalidator, type CacheInvalidator } from '@shopgraph/cache';
import { CACHE_STATUS_HEADER, createDb, createLogger, type Db } from '@shopgraph/common';
import type { RunningServer } from '@shopgraph/common/subgraph';
import { loadConfig as loadOrdersConfig } from '@shopgraph/orders/env';
import { createOrdersServer } from '@shopgraph/orders';
import { loadConfig as loadProductsConfig } from '@shopgraph/products/env';
import { createProductsServer } from '@shopgraph/products';
import { reserveStock } from '@shopgraph/products/inventory';
import { loadConfig as loadUsersConfig } from '@shopgraph/users/env';
import { createUsersServer } from '@shopgraph/users';
import { createTestDatabase, readCounter, testEnv, testRedisUrl, type TestDatabase } from '@shopgraph/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startGateway } from '../gateway/test/test-graph.js';

/*
 * The response cache through real gateways: the products, users and orders subgraphs on a fresh
 * database, two gateways on one Redis key prefix of this file's own (one LRU, one LFU).
 */

const prefix = `sgtest:response-cache:${randomBytes(4).toString('hex')}:`;
let database: TestDatabase;
let subgraphs: Record<'products' | 'users' | 'orders', { server: RunningServer; url: string }>;
let gatewayA: Awaited<ReturnType<typeof startGateway>>;
let gatewayB: Awaited<ReturnType<typeof startGateway>>;
let invalidator: CacheInvalidator;
let productsDb: Db;
let gatewayEnv: Record<string, string>;
let adminToken: string;

interface Answer {
  status: number;
  headers: Headers;
  cache: string | null;
  cacheControl: string | null;
  text: string;
  json: { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
}

async function call(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    cache: response.headers.get(CACHE_STATUS_HEADER),
    cacheControl: response.headers.get('cache-control'),
    text,
    json: JSON.parse(text) as Answer['json'],
  };
}

const PRODUCT = 'query Product($id: ID!) { product(id: $id) { id name stock price { amount currency } } }';
const LIST = 'query List { products(first: 100) { totalCount edges { node { id name } } } }';

async function createProduct(name: string, stock = 10): Promise<string> {
  const answer = await call(
    gatewayA.url,
    'mutation($input: CreateProductInput!) { createProduct(input: $input) { id } }',
    { input: { sku: `SKU-${randomBytes(4).toString('hex')}`, name, price: { amount: 1500, currency: 'EUR' }, stock } },
    adminToken,
  );
  expect(answer.json.errors).toBeUndefined();
  return answer.json.data.createProduct.id as string;
}

async function register(name: string) {
  const answer = await call(
    gatewayA.url,
    'mutation($input: RegisterInput!) { register(input: $input) { token user { id email } } }',
    { input: { email: `${name}-${randomBytes(4).toString('hex')}@example.com`, password: 'long enough password', name } },
  );
  expect(answer.json.errors).toBeUndefined();
  const { token, user } = answer.json.data.register as { token: string; user: { id: string; email: string } };
  return { token, ...user };
}

/** Apollo Server executions of `operation` on a gateway (hits never reach Apollo Server). */
const executions = async (gateway: typeof gatewayA, operation: string) => {
  const text = await (await fetch(`${gateway.metricsOrigin}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('shopgraph_gateway_operation_duration_seconds_count{') && l.includes(`operation="${operation}"`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
};

const pubsubInvalidations = (gateway: typeof gatewayA) =>
  fetch(`${gateway.metricsOrigin}/metrics`)
    .then((response) => response.text())
    .then((text) => Number(/shopgraph_gateway_cache_invalidations_total\{[^}]*origin="pubsub"[^}]*\} (\d+)/.exec(text)?.[1] ?? 0));

beforeAll(async () => {
  database = await createTestDatabase('sg_cache');
  const env = testEnv(database.url);
  const start = async (server: Promise<RunningServer>) => {
    const running = await server;
    return { server: running, url: await running.listen(0, '127.0.0.1') };
  };
  // One at a time: they bootstrap roles and schemas in the same fresh database.
  const products = await start(createProductsServer(loadProductsConfig(env)));
  const users = await start(createUsersServer(loadUsersConfig(env)));
  const orders = await start(createOrdersServer(loadOrdersConfig(env)));
  subgraphs = { products, users, orders };
  gatewayEnv = {
    ...env,
    PRODUCTS_URL: products.url,
    USERS_URL: users.url,
    ORDERS_URL: orders.url,
    // Nothing here touches payments.
    PAYMENTS_URL: 'http://127.0.0.1:9/graphql',
    CACHE_KEY_PREFIX: prefix,
  };
  gatewayA = await startGateway({ ...gatewayEnv, CACHE_L1_POLICY: 'lru' });
  gatewayB = await startGateway({ ...gatewayEnv, CACHE_L1_POLICY: 'lfu' });
  invalidator = createCacheInvalidator(testRedisUrl, prefix);
  productsDb = createDb({ url: database.url, subgraph: 'products', logger: createLogger('test', 'silent') });
  const login = await call(gatewayA.url, 'mutation { login(email: "admin@shopgraph.local", password: "admin-password") { token } }');
  adminToken = login.json.data.login.token as string;
});

afterAll(async () => {
  await gatewayA?.close();
  await gatewayB?.close();
  await invalidator?.close();
  await productsDb?.$client.end();
  for (const { server } of Object.values(subgraphs ?? {})) await server.close();
  await database?.drop();
  const redis = new Redis(testRedisUrl);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.unlink(...keys);
  redis.disconnect();
});

/** How long to wait for something asynchronous before failing: generous, it never decides a pass. */
const PATIENCE = { timeout: 10_000, interval: 20 };

/**
 * What an entry the purge left alone is answered with: from the first level, fresh or, should the
 * test have taken longer than its 5 s max-age (stock), stale. Never a miss: it was not purged.
 */
const FROM_MEMORY = ['HIT-L1', 'STALE'];

/** Reads `id` through `gateway` until that gateway answers it from its first level. */
async function warm(gateway: typeof gatewayA, id: string) {
  await vi.waitFor(async () => expect((await call(gateway.url, PRODUCT, { id })).cache).toBe('HIT-L1'), PATIENCE);
}

describe('hits', () => {
  it('answers a repeated query from memory with the same bytes, then from Redis on another gateway', async () => {
    const id = await createProduct('Enamel mug');
    const miss = await call(gatewayA.url, PRODUCT, { id });
    expect(miss).toMatchObject({ status: 200, cache: 'MISS' });
    expect(miss.json.data.product).toMatchObject({ id, name: 'Enamel mug', stock: 10 });
    // The most restrictive hint of what was resolved: stock, 5 s, public.
    expect(miss.cacheControl).toBe('max-age=5, public');

    const hit = await call(gatewayA.url, PRODUCT, { id });
    expect(hit).toMatchObject({ status: 200, cache: 'HIT-L1', cacheControl: 'max-age=5, public' });
    expect(hit.text).toBe(miss.text);

    const fromRedis = await call(gatewayB.url, PRODUCT, { id });
    expect(fromRedis.cache).toBe('HIT-L2');
    expect(fromRedis.text).toBe(miss.text);
    expect((await call(gatewayB.url, PRODUCT, { id })).cache).toBe('HIT-L1');
  });

  it('still refuses an invalid bearer token on a cached query, and serves the public entry to any valid one', async () => {
    const id = await createProduct('Token-checked kettle');
    await warm(gatewayA, id);
    const refused = await call(gatewayA.url, PRODUCT, { id }, 'not.a.token');
    expect(refused.status).toBe(401);
    expect(refused.json.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const customer = await register('token-holder');
    expect(await call(gatewayA.url, PRODUCT, { id }, customer.token)).toMatchObject({ status: 200, cache: 'HIT-L1' });
  });

  it('answers a browser (CORS) from the cache too, and keeps the request id of each request', async () => {
    const id = await createProduct('Browser-seen bowl');
    await warm(gatewayA, id);
    const browser = await call(gatewayA.url, PRODUCT, { id }, undefined, { origin: 'http://localhost:3000', 'x-request-id': 'trace-7' });
    expect(browser.cache).toBe('HIT-L1');
    expect(browser.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(browser.headers.get('x-request-id')).toBe('trace-7');
    const plain = await call(gatewayA.url, PRODUCT, { id }, undefined, { 'x-request-id': 'trace-8' });
    expect(plain).toMatchObject({ cache: 'HIT-L1', text: browser.text });
    expect(plain.headers.get('x-request-id')).toBe('trace-8');
  });

  it('counts hits against the rate limits, per forwarded client and per user', async () => {
    const limited = await startGateway({
      ...gatewayEnv,
      RATE_LIMIT_ENABLED: 'true',
      RATE_LIMIT_IP_POINTS: '4',
      RATE_LIMIT_USER_POINTS: '2',
      RATE_LIMIT_REDIS_PREFIX: `${prefix}rate:`,
    });
    try {
      const id = await createProduct('Rate-limited rug');
      // The test client is on loopback, a trusted proxy: x-forwarded-for names the client.
      const from = (ip: string, token?: string) => call(limited.url, PRODUCT, { id }, token, { 'x-forwarded-for': ip, 'x-request-id': `rl-${ip}` });
      const answers: Answer[] = [];
      for (let i = 0; i < 5; i++) answers.push(await from('203.0.113.7'));
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 429]);
      expect(answers.slice(1, 4).every((answer) => answer.cache === 'HIT-L1')).toBe(true);
      expect(answers[4]!.json.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
      expect(Number(answers[4]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(answers[4]!.headers.get('x-request-id')).toBe('rl-203.0.113.7');
      expect((await from('203.0.113.8')).cache).toBe('HIT-L1');

      const customer = await register('rate-limited');
      const asCustomer = [await from('198.51.100.7', customer.token), await from('198.51.100.8', customer.token), await from('198.51.100.9', customer.token)];
      expect(asCustomer.map((answer) => answer.status)).toEqual([200, 200, 429]);
      expect(asCustomer[1]!.cache).toBe('HIT-L1');
    } finally {
      await limited.close();
    }
  });

  it('answers a persisted-only gateway\'s listed operations from the cache, never an entry stored without its list', async () => {
    const listed = `query Listed($id: ID!) { product(id: $id) { id name } }`;
    const path = join(mkdtempSync(join(tmpdir(), 'sg-persisted-')), 'operations.json');
    writeFileSync(path, JSON.stringify({ [createHash('sha256').update(listed).digest('hex')]: listed }));
    const allowListed = await startGateway({
      ...gatewayEnv,
      NODE_ENV: 'production',
      ADMIN_PASSWORD: 'not-the-default-password',
      PERSISTED_OPERATIONS_PATH: path,
      PERSISTED_ONLY: 'true',
    });
    try {
      const id = await createProduct('Allow-listed lamp');
      // Stored in Redis by a gateway without the list …
      await warm(gatewayA, id);
      // … and still refused by the one with it.
      const refused = await call(allowListed.url, PRODUCT, { id });
      expect(refused.status).toBe(400);
      expect(refused.json.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_ALLOWED');
      expect((await call(allowListed.url, listed, { id })).cache).toBe('MISS');
      expect((await call(allowListed.url, listed, { id })).cache).toBe('HIT-L1');
    } finally {
      await allowListed.close();
      rmSync(dirname(path), { recursive: true, force: true });
    }
  });

  it('keeps no response with errors, and never caches mutations', async () => {
    const failing = 'query Broken { product(id: "not-a-uuid") { id } }';
    const first = await call(gatewayA.url, failing);
    expect(first.json.errors?.length).toBeGreaterThan(0);
    expect((await call(gatewayA.url, failing)).cache).toBe('MISS');
    const restock = await call(gatewayA.url, 'mutation { restockProduct(id: "00000000-0000-4000-8000-000000000000", quantity: 1) { id } }', {}, adminToken);
    expect(restock.cache).toBeNull();
  });
});

describe('exact invalidation', () => {
  it('shows an updateProduct at once on the gateway that made it, on another once the purge message arrives, and keeps an unrelated product cached', async () => {
    const changed = await createProduct('Old name');
    const unrelated = await createProduct('Unrelated');
    await warm(gatewayA, changed);
    await warm(gatewayA, unrelated);
    await warm(gatewayB, changed);
    await call(gatewayA.url, LIST);
    const heardByB = await pubsubInvalidations(gatewayB);

    const update = await call(
      gatewayA.url,
      'mutation($id: ID!) { updateProduct(id: $id, input: { name: "New name" }) { name } }',
      { id: changed },
      adminToken,
    );
    expect(update.json.data.updateProduct.name).toBe('New name');

    // The gateway that carried the write purged Redis and its own first level before answering it.
    const onWriter = await call(gatewayA.url, PRODUCT, { id: changed });
    expect(onWriter.json.data.product.name).toBe('New name');
    expect(onWriter.cache).not.toBe('HIT-L1');
    // Another gateway's first level drops the entry when the purge's pub/sub message reaches it
    // (the bound the README states); from then on it answers the new value.
    await vi.waitFor(async () => expect(await pubsubInvalidations(gatewayB)).toBeGreaterThan(heardByB), PATIENCE);
    const onOther = await call(gatewayB.url, PRODUCT, { id: changed });
    expect(onOther.json.data.product.name).toBe('New name');
    expect(onOther.cache).not.toBe('HIT-L1');
    expect(FROM_MEMORY).toContain((await call(gatewayA.url, PRODUCT, { id: unrelated })).cache);
    // A list whose members may have changed is purged with it.
    const list = await call(gatewayA.url, LIST);
    expect(list.json.data.products.edges.map((edge: any) => edge.node.name)).toContain('New name');
  });

  it('with CACHE_L1=off shows a write through one gateway at once on every other: each hit is read from Redis, purged before the write answered', async () => {
    const withoutL1 = await startGateway({ ...gatewayEnv, CACHE_L1: 'off' });
    try {
      const id = await createProduct('Shared-shelf vase');
      expect((await call(withoutL1.url, PRODUCT, { id })).cache).toBe('MISS');
      expect((await call(withoutL1.url, PRODUCT, { id })).cache).toBe('HIT-L2');
      await call(gatewayA.url, 'mutation($id: ID!) { updateProduct(id: $id, input: { name: "Renamed vase" }) { name } }', { id }, adminToken);
      const read = await call(withoutL1.url, PRODUCT, { id });
      expect(read).toMatchObject({ cache: 'MISS', json: { data: { product: { name: 'Renamed vase' } } } });
    } finally {
      await withoutL1.close();
    }
  });

  it('shows a restockProduct at once, even when the mutation does not select the id', async () => {
    const restocked = await createProduct('Restocked lamp', 2);
    const unrelated = await createProduct('Other lamp', 2);
    await warm(gatewayA, restocked);
    await warm(gatewayA, unrelated);
    await call(gatewayA.url, 'mutation($id: ID!) { restockProduct(id: $id, quantity: 5) { stock } }', { id: restocked }, adminToken);
    expect((await call(gatewayA.url, PRODUCT, { id: restocked })).json.data.product.stock).toBe(7);
    expect(FROM_MEMORY).toContain((await call(gatewayA.url, PRODUCT, { id: unrelated })).cache);
  });

  it('lists a created product and drops a deleted one at once', async () => {
    const before = (await call(gatewayA.url, LIST)).json.data.products.totalCount as number;
    expect((await call(gatewayA.url, LIST)).cache).toBe('HIT-L1');
    const id = await createProduct('Brand new kite');
    expect((await call(gatewayA.url, LIST)).json.data.products.totalCount).toBe(before + 1);
    await warm(gatewayA, id);
    await call(gatewayA.url, 'mutation($id: ID!) { deleteProduct(id: $id) }', { id }, adminToken);
    expect((await call(gatewayA.url, PRODUCT, { id })).json.data.product).toBeNull();
    expect((await call(gatewayA.url, LIST)).json.data.products.totalCount).toBe(before);
  });

  it('shows a stock reservation made outside the gateway once a worker calls invalidateEntities, on every gateway', async () => {
    const reserved = await createProduct('Reserved chair', 10);
    const unrelated = await createProduct('Spare chair', 10);
    await warm(gatewayA, reserved);
    await warm(gatewayB, reserved);
    await warm(gatewayB, unrelated);
    const heard = await pubsubInvalidations(gatewayB);

    // What the reservation worker does: change the stock, then purge the product.
    const result = await reserveStock(productsDb, { orderId: randomUUID(), version: 1, items: [{ productId: reserved, quantity: 3 }] });
    expect(result.ok).toBe(true);
    expect(await invalidator.invalidateEntities([entityTag('Product', reserved)])).toBeGreaterThanOrEqual(1);

    // Gateway B learns of it only through pub/sub: its first level drops the entry.
    await vi.waitFor(async () => expect(await pubsubInvalidations(gatewayB)).toBeGreaterThan(heard), PATIENCE);
    for (const gateway of [gatewayB, gatewayA]) {
      const read = await call(gateway.url, PRODUCT, { id: reserved });
      expect(read.json.data.product.stock).toBe(7);
    }
    expect(FROM_MEMORY).toContain((await call(gatewayB.url, PRODUCT, { id: unrelated })).cache);
  });
});

describe('private data', () => {
  const ME = 'query Me { me { id email name } }';
  const MY_ORDERS = 'query MyOrders { me { id email orders { totalCount } } }';

  it('never serves one user another user\'s data, under concurrency', async () => {
    const users = [await register('alice'), await register('bob')];
    const rounds = await Promise.all(
      Array.from({ length: 40 }, (_, i) => {
        const user = users[i % 2]!;
        const gateway = i % 4 < 2 ? gatewayA : gatewayB;
        return call(gateway.url, i % 3 === 0 ? MY_ORDERS : ME, {}, user.token).then((answer) => ({ user, answer }));
      }),
    );
    for (const { user, answer } of rounds) {
      expect(answer.json.errors).toBeUndefined();
      expect(answer.json.data.me).toMatchObject({ id: user.id, email: user.email });
    }
    // `me` is PRIVATE: kept per user. With its nested orders list in it, nothing may keep it (orders sends no-store for that list).
    expect(await call(gatewayA.url, ME, {}, users[0]!.token)).toMatchObject({ cache: 'HIT-L1', cacheControl: 'max-age=60, private' });
    expect((await call(gatewayB.url, ME, {}, users[1]!.token)).json.data.me.id).toBe(users[1]!.id);
    expect(await call(gatewayA.url, MY_ORDERS, {}, users[0]!.token)).toMatchObject({ cache: 'MISS', cacheControl: 'no-store' });
    // Anonymous: null, and kept for nobody.
    expect((await call(gatewayA.url, ME)).json.data.me).toBeNull();
    expect((await call(gatewayA.url, ME)).cache).toBe('MISS');
    expect((await call(gatewayA.url, ME, {}, users[0]!.token)).json.data.me.id).toBe(users[0]!.id);
  });
});

describe('single-flight', () => {
  it('executes 50 concurrent identical misses once', async () => {
    const id = await createProduct('Popular teapot');
    const query = 'query Stampede($id: ID!) { product(id: $id) { id name stock } }';
    const metricsUrl = `${new URL(subgraphs.products.url).origin}/metrics`;
    const statementsBefore = await readCounter(metricsUrl, 'shopgraph_sql_statements_total');
    const executionsBefore = await executions(gatewayA, 'Stampede');

    const answers = await Promise.all(Array.from({ length: 50 }, () => call(gatewayA.url, query, { id })));

    expect(new Set(answers.map((answer) => answer.text)).size).toBe(1);
    expect(answers[0]!.json.data.product).toMatchObject({ id, name: 'Popular teapot' });
    expect(answers.filter((answer) => answer.cache === 'MISS').length).toBeGreaterThanOrEqual(1);
    expect((await executions(gatewayA, 'Stampede')) - executionsBefore).toBe(1);
    // One product lookup is one SQL statement in the products subgraph.
    expect((await readCounter(metricsUrl, 'shopgraph_sql_statements_total')) - statementsBefore).toBe(1);
  });
});

describe('stale-while-revalidate', () => {
  it('answers an expired entry stale, revalidates it in the background once, then serves the new value', async () => {
    const id = await createProduct('Slowly selling stool', 10);
    const query = 'query StaleStock($id: ID!) { product(id: $id) { stock } }';
    expect((await call(gatewayA.url, query, { id })).cache).toBe('MISS');
    // A change nobody purges (a writer not yet wired to invalidateEntities): only time reveals it.
    await reserveStock(productsDb, { orderId: randomUUID(), version: 1, items: [{ productId: id, quantity: 4 }] });
    const executionsBefore = await executions(gatewayA, 'StaleStock');
    // stock has max-age 5: past it, the entry may be served stale for up to 5 s more. Asked until
    // it is (fresh hits before that), which sets off its revalidation.
    const expired = () =>
      vi.waitFor(
        async () => {
          const answer = await call(gatewayA.url, query, { id });
          expect(answer.cache).toBe('STALE');
          return answer;
        },
        { timeout: 15_000, interval: 20 },
      );
    // Until the revalidation lands and the entry is fresh again, with `stock`. Meanwhile every
    // answer is the stale one, never a miss: a miss would mean no revalidation came in time.
    const revalidatedTo = async (stock: number) => {
      const seen: (string | null)[] = [];
      await vi.waitFor(async () => {
        const answer = await call(gatewayA.url, query, { id });
        seen.push(answer.cache);
        expect(answer.cache).toBe('HIT-L1');
        expect(answer.json.data.product.stock).toBe(stock);
      }, PATIENCE);
      expect(seen.filter((cache) => cache !== 'STALE' && cache !== 'HIT-L1')).toEqual([]);
    };

    expect((await expired()).json.data.product.stock).toBe(10);
    const answers = await Promise.all(Array.from({ length: 5 }, () => call(gatewayA.url, query, { id })));
    // Those before the revalidation landed get the old value, marked STALE; any after it, the new one.
    for (const answer of answers) expect(answer.json.data.product.stock).toBe(answer.cache === 'STALE' ? 10 : 6);
    await revalidatedTo(6);
    expect((await executions(gatewayA, 'StaleStock')) - executionsBefore).toBe(1);

    // The next expiry is revalidated too: the finished revalidation handed its claim back. Kept,
    // the claim (10 s) would outlast the entry's stale window (5 s) and the entry would end as a miss.
    await reserveStock(productsDb, { orderId: randomUUID(), version: 1, items: [{ productId: id, quantity: 1 }] });
    expect((await expired()).json.data.product.stock).toBe(6);
    await revalidatedTo(5);
  });
});

describe('without Redis', () => {
  it('answers queries as if there were no cache; a bearer token it cannot check is refused (fail closed)', async () => {
    const unreachable = await startGateway({ ...gatewayEnv, REDIS_URL: 'redis://127.0.0.1:9' });
    try {
      const id = await createProduct('Offline ottoman', 3);
      for (let i = 0; i < 2; i++) {
        const read = await call(unreachable.url, PRODUCT, { id });
        expect(read).toMatchObject({ status: 200, cache: 'MISS' });
        expect(read.json.data.product.stock).toBe(3);
      }
      // Ended sessions live in Redis too: without it no token is known to be live.
      const restock = await call(unreachable.url, 'mutation($id: ID!) { restockProduct(id: $id, quantity: 2) { stock } }', { id }, adminToken);
      expect(restock.status).toBe(503);
      expect(restock.json.errors?.[0]?.extensions?.code).toBe('SESSIONS_UNAVAILABLE');
      expect((await call(unreachable.url, PRODUCT, { id })).json.data.product.stock).toBe(3);
    } finally {
      await unreachable.close();
    }
  });
});

describe('metrics', () => {
  it('counts hits by level, misses, stale answers, invalidations and purged entries on /metrics', async () => {
    const metrics = async (gateway: typeof gatewayA) => (await fetch(`${gateway.metricsOrigin}/metrics`)).text();
    // L2 hits happen where the entry was stored by the other gateway: count both.
    const text = `${await metrics(gatewayA)}\n${await metrics(gatewayB)}`;
    for (const pattern of [
      /shopgraph_gateway_cache_hits_total\{[^}]*level="l1"[^}]*\} [1-9]/,
      /shopgraph_gateway_cache_hits_total\{[^}]*level="l2"[^}]*\} [1-9]/,
      /shopgraph_gateway_cache_misses_total\{[^}]*\} [1-9]/,
      /shopgraph_gateway_cache_stale_total\{[^}]*\} [1-9]/,
      /shopgraph_gateway_cache_invalidations_total\{[^}]*origin="mutation"[^}]*\} [1-9]/,
      /shopgraph_gateway_cache_invalidations_total\{[^}]*origin="pubsub"[^}]*\} [1-9]/,
      /shopgraph_gateway_cache_purged_entries_total\{[^}]*level="l2"[^}]*\} [1-9]/,
      /shopgraph_gateway_cache_purged_entries_total\{[^}]*level="l1"[^}]*\} [1-9]/,
    ]) {
      expect(text).toMatch(pattern);
    }
  });
});
