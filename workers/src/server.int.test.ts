import { randomUUID } from 'node:crypto';
import { cacheKeys, createCacheConnection, entityEventsChannel, entityTag, parseEntityEvent, ResponseStore, type EntityEvent } from '@shopgraph/cache';
import { createDb, createLogger, ensureSubgraphSchema, type Db } from '@shopgraph/common';
import { enqueueInTransaction, jobIds, outboxTable } from '@shopgraph/queues';
import { createOutboxForTest, removeQueueKeys, testQueuePrefix } from '@shopgraph/queues/testing';
import { createTestDatabase, testEnv, testRedisUrl, waitFor, type TestDatabase } from '@shopgraph/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './env.js';
import { startWorkers, type RunningWorkers, type WorkerContext } from './server.js';

const logger = createLogger('workers-test', process.env.TEST_LOG_LEVEL ?? 'silent');
const prefix = testQueuePrefix();
const admin = { email: 'ops@shopgraph.test', password: 'dashboard-password' };
const basic = (email: string, password: string) => `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`;
const outbox = outboxTable();

let database: TestDatabase;
let orders: Db;
let workers: RunningWorkers;
let url: string;

beforeAll(async () => {
  database = await createTestDatabase('sg_workers');
  await ensureSubgraphSchema(database.url, 'orders');
  orders = createDb({ url: database.url, subgraph: 'orders', logger });
  await createOutboxForTest(orders, outbox);
  const config = loadConfig(
    testEnv(database.url, { QUEUE_PREFIX: prefix, ADMIN_EMAIL: admin.email, ADMIN_PASSWORD: admin.password }),
  );
  workers = await startWorkers(config, { wire: () => ({ processors: {} }), outboxSubgraphs: ['orders'] }, logger);
  url = await workers.listen(0, '127.0.0.1');
});

afterAll(async () => {
  await workers?.close();
  await orders?.$client.end();
  await removeQueueKeys(testRedisUrl, prefix);
  await database?.drop();
});

describe('configuration', () => {
  it('has the documented defaults and insists on a hash-tagged prefix', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      dashboardPort: 4010,
      paymentProvider: { url: 'http://127.0.0.1:4005' },
      reservationTtlMs: 900_000,
      queuePrefix: '{shopgraph}',
      concurrency: { payments: 10, reservations: 10, refunds: 2, expiries: 2 },
      stalledIntervalMs: 30_000,
    });
    expect(() => loadConfig({ QUEUE_PREFIX: 'bull' })).toThrow(/QUEUE_PREFIX: must be a Redis Cluster hash tag/);
    expect(loadConfig({ QUEUE_PREFIX: '{shop}:staging' }).queuePrefix).toBe('{shop}:staging');
  });

  it('purges a hash-tagged cache namespace by default, and refuses an untagged one on a Redis Cluster', () => {
    const cluster = 'redis-cluster://redis-0:6379,redis-1:6379';
    expect(loadConfig({ REDIS_URL: cluster }).cacheKeyPrefix).toMatch(/^\{sg:cache:[0-9a-f]{12}\}:$/);
    expect(loadConfig({ REDIS_URL: cluster, CACHE_KEY_PREFIX: '{shop-cache}:' }).cacheKeyPrefix).toBe('{shop-cache}:');
    expect(() => loadConfig({ REDIS_URL: cluster, CACHE_KEY_PREFIX: 'shop-cache:' })).toThrow(/CACHE_KEY_PREFIX: "shop-cache:" has no \{hash tag\}/);
    expect(() => loadConfig({ REDIS_URL: cluster, QUEUE_PREFIX: 'bull' })).toThrow(/QUEUE_PREFIX: must be a Redis Cluster hash tag/);
    expect(loadConfig({ REDIS_URL: 'redis-sentinel://sentinel:26379/shopgraph', CACHE_KEY_PREFIX: 'shop-cache:' }).cacheKeyPrefix).toBe('shop-cache:');
  });

  it("reaches each subgraph in its own database when told, else in DATABASE_URL's", () => {
    const shared = 'postgres://shop@db:5432/shopgraph';
    expect(loadConfig({ DATABASE_URL: shared }).databaseUrls).toEqual({ products: shared, orders: shared, payments: shared });
    const split = loadConfig({ DATABASE_URL: shared, PRODUCTS_DATABASE_URL: 'postgres://catalog@db2:5432/catalog', PAYMENTS_DATABASE_URL: 'postgresql://pay@db3/pay' });
    expect(split.databaseUrls).toEqual({ products: 'postgres://catalog@db2:5432/catalog', orders: shared, payments: 'postgresql://pay@db3/pay' });
    expect(() => loadConfig({ ORDERS_DATABASE_URL: 'mysql://db/orders' })).toThrow(/ORDERS_DATABASE_URL/);
  });
});

describe('the queue dashboard', () => {
  it('asks for HTTP basic auth', async () => {
    const anonymous = await fetch(`${url}/queues`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    const wrong = await fetch(`${url}/queues/api/queues`, { headers: { authorization: basic(admin.email, 'not-the-password') } });
    expect(wrong.status).toBe(401);
    const stranger = await fetch(`${url}/queues`, { headers: { authorization: basic('someone@else.test', admin.password) } });
    expect(stranger.status).toBe(401);
  });

  it('shows every queue, dead letters included, to the admin', async () => {
    const page = await fetch(`${url}/queues`, { headers: { authorization: basic(admin.email.toUpperCase(), admin.password) } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const api = await fetch(`${url}/queues/api/queues`, { headers: { authorization: basic(admin.email, admin.password) } });
    expect(api.status).toBe(200);
    const { queues } = (await api.json()) as { queues: { name: string }[] };
    expect(queues.map((queue) => queue.name).sort()).toEqual(['dead-letters', 'expiries', 'payments', 'refunds', 'reservations']);
  });
});

describe('the process shell', () => {
  it('answers /health and /ready', async () => {
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const ready = await fetch(`${url}/ready`);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { redis: 'ok', postgres: 'ok' } });
  });

  it('relays the outboxes it is given and shows queue depth and job counts on /metrics', async () => {
    const orderId = randomUUID();
    await orders.transaction((tx) =>
      enqueueInTransaction(tx, outbox, {
        queue: 'reservations',
        name: 'reserve-stock',
        jobId: jobIds.reserveStock(orderId, 1),
        payload: { orderId, version: 1 },
      }),
    );
    await waitFor(() => workers.queues.reservations.getJob(jobIds.reserveStock(orderId, 1)), { what: 'the outbox row to be relayed' });
    await workers.queues['dead-letters'].add('reserve-stock', { note: 'for the metrics' }, { jobId: `metrics-${orderId}` });

    // The relay counts a row once its transaction commits, a moment after the job is in Redis.
    const metrics = await waitFor(
      async () => {
        const text = await (await fetch(`${url}/metrics`)).text();
        return /shopgraph_outbox_relayed_total\{subgraph="orders",service="workers"\} 1\n/.test(text) && text;
      },
      { what: 'the relayed row to be counted' },
    );
    // No worker runs reservations here, so the relayed job waits.
    expect(metrics).toMatch(/shopgraph_queue_depth\{queue="reservations",service="workers"\} 1\n/);
    expect(metrics).toMatch(/shopgraph_queue_jobs\{queue="dead-letters",state="waiting",service="workers"\} 1\n/);
    expect(metrics).toMatch(/shopgraph_queue_jobs\{queue="payments",state="failed",service="workers"\} 0\n/);
    expect(metrics).toMatch(/shopgraph_outbox_relayed_total\{subgraph="orders",service="workers"\} 1\n/);
    expect(metrics).toMatch(/shopgraph_outbox_relay_leader\{subgraph="orders",service="workers"\} 1\n/);
  });
});

describe('entity events', () => {
  it("holds back the events of the products a job purges and publishes them with the job's own, after it, in one call that purges the job's order", async () => {
    const config = loadConfig(testEnv(database.url, { QUEUE_PREFIX: prefix }));
    let context: WorkerContext | undefined;
    const running = await startWorkers(config, { wire: (ctx) => ((context = ctx), { processors: {} }), outboxSubgraphs: [] }, logger);
    const received: EntityEvent[] = [];
    const listener = new Redis(testRedisUrl);
    listener.on('message', (_channel: string, message: string) => {
      const event = parseEntityEvent(message);
      if (event) received.push(event);
    });
    await listener.subscribe(entityEventsChannel(config.cacheKeyPrefix));
    const seen = (id: string) => waitFor(() => received.some((event) => event.id === id), { what: `the event of ${id}` });
    const connection = createCacheConnection(testRedisUrl, 'writes');
    const store = new ResponseStore(connection, connection, cacheKeys(config.cacheKeyPrefix));
    try {
      const [order, fence, products] = [randomUUID(), randomUUID(), [randomUUID(), randomUUID()]];
      // A gateway's entry showing the order (a customer's orders page, kept for its viewer).
      const page = store.keys.entry('u:1', `orders-${order}`);
      const now = Date.now();
      const entry = { body: Buffer.from('{}'), headers: [], storedAt: now, freshUntil: now + 60_000, staleUntil: now + 60_000, tags: [entityTag('Order', order)] };
      expect(await store.store(page, entry, { epoch: (await store.lookup([])).epoch, at: now })).toBeTypeOf('number');
      const answer = await context!.announcing([{ typename: 'Order', id: order }], async () => {
        await context!.purgeProducts(products);
        // Published on the same connection after the purge: had the purge published its products,
        // their events would have reached the channel before this one.
        await context!.entitiesChanged([{ typename: 'Fence', id: fence }]);
        await seen(fence);
        expect(received.map((event) => event.typename)).toEqual(['Fence']);
        return 'the job answered';
      });
      expect(answer).toBe('the job answered');
      expect((await store.lookup([page])).entries).toEqual([null]);
      await seen(order);
      const announced = received.slice(1);
      expect(announced.map(({ typename, id }) => `${typename}:${id}`)).toEqual([`Product:${products[0]}`, `Product:${products[1]}`, `Order:${order}`]);
      // One call: one publish time for all three.
      expect(new Set(announced.map((event) => event.at)).size).toBe(1);
    } finally {
      listener.disconnect();
      connection.disconnect();
      await running.close();
    }
  });
});
