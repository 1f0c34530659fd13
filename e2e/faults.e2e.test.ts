import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { startPrivateRedis, testQueuePrefix, type PrivateRedis } from '@shopgraph/queues/testing';
import { createTestDatabase, freePort, testEnv, testServerUrl, waitFor, type TestDatabase } from '@shopgraph/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { platformProcesses, startPlatform, type ProcessName, type RunningPlatform } from '../scripts/platform.js';
import { setupPlatform } from '../scripts/setup.js';

/*
 * Postgres and Redis go away under checkout traffic and come back; the platform rides it out in
 * the same processes and loses nothing (issue 18). A platform of its own: its own database, a
 * Redis of its own it may kill, the processes started as `npm start` starts them (the storefront
 * left out). Neither the machine's Postgres nor its Redis is ever restarted.
 */

const ADMIN = { email: 'admin@faults.shopgraph.local', password: 'faults-admin-password' };
const SERVICES = ['payment-provider', 'products', 'users', 'orders', 'payments', 'gateway', 'workers'] as const satisfies readonly ProcessName[];
/** What reads Postgres, and what reads Redis: their /ready answers 503 while it is away. */
const ON_POSTGRES: ProcessName[] = ['products', 'users', 'orders', 'payments', 'workers'];
const ON_REDIS: ProcessName[] = ['products', 'users', 'orders', 'payments', 'gateway', 'workers'];
const CUSTOMERS = 4;
/** Longer than any timeout the platform sets itself: a request still unanswered then hung. */
const REQUEST_DEADLINE_MS = 30_000;
/**
 * How long each dependency stays away at least, as issue 18 asks the platform to ride out: longer
 * than any job's retries (a reservation gives up after about 4 s of failures), so an outage that
 * spent a job's attempts would strand its order. The fault is lifted only after this and once
 * clients and every process have met it.
 */
const OUTAGE_MS = 30_000;
/** A client's pause between two tries, as a careful client backs off: traffic pacing, not a race. */
const CLIENT_PAUSE_MS = 100;
/** For failing only, never for passing: generous on a loaded two-core machine. */
const SETTLE_DEADLINE_MS = 120_000;

interface Answer {
  op: string;
  startedAt: number;
  status: number;
  /** `extensions.code` of each error; empty when it succeeded. */
  codes: string[];
  data?: Record<string, any> | null;
  /** How the gateway's response cache answered (`x-cache`), when it did. */
  cache?: string;
}

interface Checkout {
  key: string;
  /** When placeOrder was first sent. */
  firstTriedAt: number;
  orderId?: string;
  paymentId?: string;
  paidAt?: number;
}

let database: TestDatabase;
let redis: PrivateRedis;
let redisDir: string;
let platform: RunningPlatform;
let ports: Record<ProcessName, number>;
let platformEnv: NodeJS.ProcessEnv;
let pids: Map<ProcessName, number>;
let admin: pg.Client;
const answers: Answer[] = [];
const checkouts: Checkout[] = [];

const url = (name: ProcessName, path: string) => `http://127.0.0.1:${ports[name]}${path}`;

/** One operation through the gateway, as a client sends it; every answer is recorded. */
async function send(op: string, query: string, variables: Record<string, unknown>, token?: string): Promise<Answer> {
  const startedAt = Date.now();
  let answer: Answer;
  try {
    const response = await fetch(url('gateway', '/graphql'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'apollo-require-preflight': 'true', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(REQUEST_DEADLINE_MS),
    });
    const text = await response.text();
    let body: { data?: Record<string, any> | null; errors?: { extensions?: { code?: string } }[] };
    try {
      body = JSON.parse(text);
    } catch {
      body = { errors: [{ extensions: { code: `NOT JSON: ${text.slice(0, 80)}` } }] };
    }
    answer = {
      op,
      startedAt,
      status: response.status,
      codes: (body.errors ?? []).map((e) => e.extensions?.code ?? 'NO CODE'),
      data: body.data,
      ...(response.headers.has('x-cache') ? { cache: response.headers.get('x-cache')! } : {}),
    };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    answer = { op, startedAt, status: 0, codes: [(error as Error).name === 'TimeoutError' ? 'HUNG' : `NO ANSWER (${cause ?? (error as Error).message})`] };
  }
  answers.push(answer);
  return answer;
}

const succeeded = (answer: Answer) => answer.status === 200 && answer.codes.length === 0 && answer.data;

/** Sends until answered with data: a careful client, retrying with the same idempotency key. */
async function untilAnswered(op: string, query: string, variables: Record<string, unknown>, token: string): Promise<Record<string, any>> {
  for (;;) {
    const answer = await send(op, query, variables, token);
    if (succeeded(answer)) return answer.data!;
    await sleep(CLIENT_PAUSE_MS);
  }
}

const orderStatus = async (orderId: string, token: string) => {
  const answer = await send('OrderStatus', 'query OrderStatus($id: ID!) { order(id: $id) { status } }', { id: orderId }, token);
  return succeeded(answer) ? (answer.data!.order.status as string) : undefined;
};

/** Whether the order reached `wanted` before the deadline (one that does not is stuck: the checks below say so). */
const reaches = (orderId: string, token: string, wanted: string) =>
  waitFor(async () => (await orderStatus(orderId, token)) === wanted, { timeoutMs: SETTLE_DEADLINE_MS, intervalMs: 100 }).then(
    () => true,
    () => false,
  );

/** A customer placing and paying orders one after another until told to stop; the last one is seen through. */
async function customer(name: string, token: string, productId: string, running: () => boolean): Promise<void> {
  for (let n = 0; running(); n++) {
    const checkout: Checkout = { key: `${name}-${n}`, firstTriedAt: Date.now() };
    checkouts.push(checkout);
    const placed = await untilAnswered(
      'PlaceOrder',
      'mutation PlaceOrder($input: PlaceOrderInput!, $key: String) { placeOrder(input: $input, idempotencyKey: $key) { id } }',
      { input: { items: [{ productId, quantity: 1 + (n % 3) }] }, key: checkout.key },
      token,
    );
    checkout.orderId = placed.placeOrder.id as string;
    if (!(await reaches(checkout.orderId, token, 'AWAITING_PAYMENT'))) continue;
    const paying = await untilAnswered(
      'PayOrder',
      'mutation PayOrder($orderId: ID!, $key: String!) { payOrder(orderId: $orderId, idempotencyKey: $key, method: { card: "4242424242424242" }) { id } }',
      { orderId: checkout.orderId, key: `pay-${checkout.key}` },
      token,
    );
    checkout.paymentId = paying.payOrder.id as string;
    if (await reaches(checkout.orderId, token, 'PAID')) checkout.paidAt = Date.now();
  }
}

/** A visitor reading the catalog, anonymously: what the response cache can answer during a fault. */
async function browser(running: () => boolean): Promise<void> {
  while (running()) {
    await send('Catalog', 'query Catalog { products(first: 5) { edges { node { id name } } } }', {});
    await sleep(CLIENT_PAUSE_MS);
  }
}

const readyStatus = (name: ProcessName) =>
  fetch(url(name, '/ready'), { signal: AbortSignal.timeout(5000) }).then(
    (response) => response.status,
    () => 0,
  );

/** Holds until every one of `names` answers /ready with 503: each has noticed the dependency gone. */
async function untilUnready(names: ProcessName[]): Promise<void> {
  await Promise.all(names.map((name) => waitFor(async () => (await readyStatus(name)) === 503, { timeoutMs: SETTLE_DEADLINE_MS, intervalMs: 100, what: `${name} /ready 503` })));
}

/** Milliseconds from `since` until each process answers /ready with 200 again. */
async function readyAgain(since: number): Promise<Record<string, number>> {
  const times = await Promise.all(
    SERVICES.map(async (name) => {
      await waitFor(async () => (await readyStatus(name)) === 200, { timeoutMs: SETTLE_DEADLINE_MS, intervalMs: 100, what: `${name} /ready 200` });
      return [name, Date.now() - since] as const;
    }),
  );
  return Object.fromEntries(times);
}

/** Holds until checkout traffic has seen `count` orders PAID after `since`: it flows. */
const untilPaidAfter = (since: number, count: number) =>
  waitFor(() => checkouts.filter((c) => c.paidAt !== undefined && c.paidAt > since).length >= count, { timeoutMs: SETTLE_DEADLINE_MS, intervalMs: 50, what: `${count} orders PAID` });

/** Holds until a request sent after `since` has failed: clients have met the fault. */
const untilClientsFail = (since: number) =>
  waitFor(() => answers.some((a) => a.startedAt >= since && !succeeded(a)), { timeoutMs: SETTLE_DEADLINE_MS, intervalMs: 20, what: 'a request failing' });

/** What the clients saw while the fault lasted, by HTTP status and code. */
function errorsBetween(from: number, to: number): Record<string, number> {
  const seen: Record<string, number> = {};
  for (const answer of answers.filter((a) => a.startedAt >= from && a.startedAt <= to && !succeeded(a))) {
    const what = `${answer.status} ${answer.codes.join('+') || 'no data'}`;
    seen[what] = (seen[what] ?? 0) + 1;
  }
  return seen;
}

function catalogReadsBetween(from: number, to: number): FaultReport['catalogReads'] {
  const reads = answers.filter((a) => a.op === 'Catalog' && a.startedAt >= from && a.startedAt <= to);
  return { answered: reads.filter((a) => succeeded(a)).length, cacheHits: reads.filter((a) => succeeded(a) && a.cache !== undefined && a.cache !== 'MISS').length, sent: reads.length };
}

interface FaultReport {
  fault: string;
  /** How long the dependency was kept away: until clients failed and every process said so. */
  heldMs: number;
  ordersPlacedDuring: number;
  ordersInFlight: number;
  paidAfter: number;
  stuck: number;
  doubleCharges: number;
  errors: Record<string, number>;
  /** Catalog reads during the fault: answered with data (from the response cache), and all. */
  catalogReads: { answered: number; cacheHits: number; sent: number };
  readyAgainMs: Record<string, number>;
}

/** Orders the fault touched: first sent before it ended, and not PAID before it began. */
const touchedBy = (start: number, end: number) => checkouts.filter((c) => c.firstTriedAt <= end && (c.paidAt === undefined || c.paidAt >= start));

beforeAll(async () => {
  database = await createTestDatabase('sg_faults');
  // Persisted as a managed Redis is: its restart keeps the queues (appendfsync always, as acknowledged).
  redisDir = mkdtempSync(`${tmpdir()}/sg-faults-redis-`);
  redis = await startPrivateRedis(['--appendonly', 'yes', '--appendfsync', 'always', '--dir', redisDir, '--maxmemory-policy', 'noeviction']);
  const portEnv: Record<string, string> = {};
  for (const spec of platformProcesses) portEnv[spec.portEnv] = String(await freePort());
  const queuePrefix = testQueuePrefix();
  const env = {
    ...process.env,
    ...testEnv(database.url, {
      ...portEnv,
      REDIS_URL: redis.url,
      ADMIN_EMAIL: ADMIN.email,
      ADMIN_PASSWORD: ADMIN.password,
      QUEUE_PREFIX: queuePrefix,
      APQ_REDIS_PREFIX: `${queuePrefix}:apq:`,
    }),
  };
  platformEnv = env;
  ports = Object.fromEntries(platformProcesses.map((spec) => [spec.name, Number(portEnv[spec.portEnv])])) as Record<ProcessName, number>;
  await setupPlatform(env);
  platform = startPlatform(env, 'inherit', { only: SERVICES });
  await platform.healthy(SETTLE_DEADLINE_MS);
  pids = new Map(SERVICES.map((name) => [name, platform.children.get(name)!.pid!]));
  admin = new pg.Client({ connectionString: testServerUrl });
  await admin.connect();
}, SETTLE_DEADLINE_MS * 2);

afterAll(async () => {
  await platform?.stop();
  await admin?.end();
  await redis?.kill();
  if (redisDir) rmSync(redisDir, { recursive: true, force: true });
  // Databases refusing connections cannot be dropped by name: let it in again first.
  if (database) {
    await admin?.query(`alter database "${database.name}" allow_connections true`).catch(() => undefined);
    await database.drop();
  }
});

describe('Postgres and Redis going away under checkout traffic', () => {
  it('loses nothing and stops nothing: same processes, ready again, every accepted order PAID once, stock adding up, every error coded', { timeout: SETTLE_DEADLINE_MS * 8 }, async () => {
    const login = async (email: string, password: string) =>
      (await untilAnswered('Login', 'mutation Login($e: String!, $p: String!) { login(email: $e, password: $p) { token } }', { e: email, p: password }, '')).login.token as string;
    const adminToken = await login(ADMIN.email, ADMIN.password);
    const INITIAL_STOCK = 100_000;
    const productId = (
      await untilAnswered(
        'CreateProduct',
        'mutation CreateProduct($input: CreateProductInput!) { createProduct(input: $input) { id } }',
        { input: { sku: `FAULTS-${Date.now()}`, name: 'Fault-tolerant kettle', price: { amount: 2500, currency: 'EUR' }, stock: INITIAL_STOCK } },
        adminToken,
      )
    ).createProduct.id as string;
    const tokens = await Promise.all(
      Array.from({ length: CUSTOMERS }, async (_, n) => {
        const answer = await untilAnswered(
          'Register',
          'mutation Register($input: RegisterInput!) { register(input: $input) { token } }',
          { input: { email: `faults-${n}-${Date.now()}@example.com`, password: 'correct horse battery', name: `Faults customer ${n}` } },
          '',
        );
        return answer.register.token as string;
      }),
    );

    let running = true;
    const traffic = Promise.all([...tokens.map((token, n) => customer(`customer${n}`, token, productId, () => running)), browser(() => running)]);
    await untilPaidAfter(0, CUSTOMERS);

    // (a) Postgres: every session of the database ended (57P01), new ones refused until the
    // processes have noticed and clients have met it.
    const pgStart = Date.now();
    await admin.query(`alter database "${database.name}" allow_connections false`);
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [database.name]);
    await untilClientsFail(pgStart);
    await untilUnready(ON_POSTGRES);
    await sleep(OUTAGE_MS - (Date.now() - pgStart));
    const pgEnd = Date.now();
    await admin.query(`alter database "${database.name}" allow_connections true`);
    const pgReady = await readyAgain(pgEnd);
    await untilPaidAfter(pgEnd, CUSTOMERS);

    // (b) Redis: killed (SIGKILL) and started again on its port once everybody has noticed.
    const redisStart = Date.now();
    await redis.kill();
    await untilClientsFail(redisStart);
    await untilUnready(ON_REDIS);
    await sleep(OUTAGE_MS - (Date.now() - redisStart));
    const redisEnd = Date.now();
    await redis.start();
    const redisReady = await readyAgain(redisEnd);
    await untilPaidAfter(redisEnd, CUSTOMERS);

    running = false;
    await traffic;

    // What became of every order a customer was given an id for, read before anything is asserted
    // so that the figures are printed whatever fails.
    const orderIds = checkouts.flatMap((c) => (c.orderId ? [c.orderId] : []));
    const sql = new pg.Client({ connectionString: database.url });
    await sql.connect();
    const rows = async <Row extends pg.QueryResultRow>(text: string, values: unknown[] = []) => (await sql.query<Row>(text, values)).rows;
    const heldStock = () => rows<{ order_id: string }>("select order_id from products.stock_reservations where status = 'HELD' and order_id = any($1)", [orderIds]);
    let facts;
    try {
      // Paid orders' stock is committed by the workers' settler within a second of their charge (docs/checkout.md).
      await waitFor(async () => (await heldStock()).length === 0, { timeoutMs: SETTLE_DEADLINE_MS, intervalMs: 100, what: 'the paid orders settled' }).catch(() => undefined);
      facts = {
        statuses: await rows<{ id: string; status: string }>('select id, status from orders.orders where id = any($1)', [orderIds]),
        processing: await rows<{ id: string }>("select id from payments.payments where status = 'PROCESSING' and order_id = any($1)", [orderIds]),
        payments: await rows<{ id: string; order_id: string; status: string }>('select id, order_id, status from payments.payments where order_id = any($1)', [orderIds]),
        product: (await rows<{ on_hand: number; reserved: number }>('select on_hand, reserved from products.products where id = $1', [productId]))[0],
        sold: (
          await rows<{ n: number }>(
            "select coalesce(sum(i.quantity), 0)::int as n from orders.order_items i join orders.orders o on o.id = i.order_id where i.product_id = $1 and o.status = 'PAID'",
            [productId],
          )
        )[0]!.n,
        held: await heldStock(),
      };
    } finally {
      await sql.end();
    }
    // The provider's API key, where the environment sets one (testEnv does).
    const providerKey = platformEnv.PAYMENT_PROVIDER_KEY;
    const chargesAnswer = await fetch(url('payment-provider', '/v1/charges'), { headers: providerKey ? { authorization: `Bearer ${providerKey}` } : {} });
    expect(chargesAnswer.status).toBe(200);
    const charges = ((await chargesAnswer.json()) as { data: { idempotency_key: string }[] }).data;
    const orderOfPayment = new Map(facts.payments.map((p) => [p.id, p.order_id]));
    const chargesPerOrder = new Map<string, number>();
    for (const charge of charges) {
      const orderId = orderOfPayment.get(charge.idempotency_key);
      if (orderId) chargesPerOrder.set(orderId, (chargesPerOrder.get(orderId) ?? 0) + 1);
    }
    const succeededPerOrder = new Map<string, number>();
    for (const payment of facts.payments.filter((p) => p.status === 'SUCCEEDED')) succeededPerOrder.set(payment.order_id, (succeededPerOrder.get(payment.order_id) ?? 0) + 1);
    const doubleCharged = new Set([...chargesPerOrder, ...succeededPerOrder].filter(([, n]) => n > 1).map(([id]) => id));
    const statusOf = (orderId: string | undefined) => facts.statuses.find((o) => o.id === orderId)?.status;
    for (const [fault, start, end, ready] of [
      ['Postgres: sessions terminated, connections refused', pgStart, pgEnd, pgReady],
      ['Redis: killed and started again', redisStart, redisEnd, redisReady],
    ] as const) {
      const touched = touchedBy(start, end);
      const report: FaultReport = {
        fault,
        heldMs: end - start,
        ordersPlacedDuring: checkouts.filter((c) => c.firstTriedAt >= start && c.firstTriedAt <= end).length,
        ordersInFlight: touched.length,
        paidAfter: touched.filter((c) => statusOf(c.orderId) === 'PAID').length,
        stuck: touched.filter((c) => statusOf(c.orderId) !== 'PAID').length,
        doubleCharges: touched.filter((c) => doubleCharged.has(c.orderId!)).length,
        errors: errorsBetween(start, end + Math.max(...Object.values(ready))),
        catalogReads: catalogReadsBetween(start, end),
        readyAgainMs: ready,
      };
      console.log(`fault report: ${JSON.stringify(report)}`);
    }
    console.log(`catalog reads before the first fault: ${JSON.stringify(catalogReadsBetween(0, pgStart))}`);

    // Every process is the one that started: none died, none was restarted.
    for (const name of SERVICES) {
      const child = platform.children.get(name)!;
      expect({ name, pid: child.pid, exitCode: child.exitCode }).toEqual({ name, pid: pids.get(name), exitCode: null });
    }
    // Every order a customer was given an id for is PAID, charged once; nothing is left half-way.
    expect(checkouts.filter((c) => !c.orderId || !c.paymentId || !c.paidAt)).toEqual([]);
    expect(facts.statuses.filter((o) => o.status !== 'PAID')).toEqual([]);
    expect(facts.statuses).toHaveLength(orderIds.length);
    expect(facts.processing).toEqual([]);
    expect([...doubleCharged]).toEqual([]);
    expect(orderIds.filter((id) => chargesPerOrder.get(id) !== 1)).toEqual([]);
    // Stock and reservations agree: what was sold left the shelf, nothing is held.
    expect(facts.product).toEqual({ on_hand: INITIAL_STOCK - facts.sold, reserved: 0 });
    expect(facts.held).toEqual([]);

    // Clients were told what happened: every failure carried a code, none was a 500 or hung.
    const failures = answers.filter((a) => !succeeded(a));
    expect(failures.length).toBeGreaterThan(0);
    const uncoded = failures.filter((a) => a.status >= 500 && a.status !== 503);
    expect(uncoded).toEqual([]);
    const withoutCode = failures.filter((a) => a.codes.length === 0 || a.codes.some((code) => ['NO CODE', 'INTERNAL_SERVER_ERROR', 'HUNG'].includes(code) || code.startsWith('NOT JSON') || code.startsWith('NO ANSWER')));
    expect(withoutCode).toEqual([]);
  });
});
