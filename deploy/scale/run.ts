import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { freePort, testRedisUrl } from '@shopgraph/testing';
import { closeQueues, createQueueConnection, createQueues, DEAD_LETTER_QUEUE, queueNames } from '@shopgraph/queues';
import { Redis } from 'ioredis';
import pg from 'pg';
import checkDependencies from '../../packages/testing/src/global-setup.js';
import { Replica, type ReplicaSpec } from './cluster.js';
import { browser, GatewayBalancer, shopper, type CheckoutRecord, type Customer, type RequestRecord } from './load.js';
import { startPrivatePostgres } from './postgres.js';

/**
 * `npm run test:scale`: the platform as a Kubernetes deployment runs it, on one machine — two
 * gateways, two replicas of each subgraph and two workers processes on distinct ports — under
 * steady reads and checkouts. One replica of each kind is SIGKILLed, then started again. What
 * must hold: no request fails except those in flight when the processes died, no order is lost
 * or stuck, nothing is charged twice, nothing is oversold, and traffic returns to the restarted
 * replicas. Prints the figures; exits 1 when anything does not hold.
 */

const WARM_UP_MS = 15_000;
const DOWN_MS = 10_000;
/** How long the gateways may take to put a restarted replica back in rotation: their longest ejection (SUBGRAPH_EJECT_MAX_MS, 60 s) and a health check. */
const READMISSION_TIMEOUT_MS = 90_000;
/** The window in which each restarted replica must take its share. */
const SHARE_WINDOW_MS = 10_000;
const DRAIN_TIMEOUT_MS = 90_000;
const SHOPPERS = 6;
const BROWSERS = 6;
const SCARCE_STOCK = 25;
/** Pools of up to 10 connections per subgraph per process: 8 subgraph replicas, 2 workers with 3 each, headroom. */
const MAX_CONNECTIONS = 300;

const subgraphs = [
  { name: 'products', portEnv: 'PRODUCTS_PORT' },
  { name: 'users', portEnv: 'USERS_PORT' },
  { name: 'orders', portEnv: 'ORDERS_PORT' },
  { name: 'payments', portEnv: 'PAYMENTS_PORT' },
] as const;

const admin = { email: 'admin@scale.shopgraph.local', password: 'scale-admin-password' };

const failures: string[] = [];
const check = (holds: boolean, what: string) => {
  console.log(`${holds ? '  ok  ' : '  FAIL'} ${what}`);
  if (!holds) failures.push(what);
};

const quantile = (values: number[], q: number) => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
};

/** A series of the gateways' /metrics, summed over the gateways, by replica URL. */
async function byReplica(gateways: string[], metric: string, where: (labels: Record<string, string>) => boolean = () => true) {
  const values = new Map<string, number>();
  for (const gateway of gateways) {
    const text = await (await fetch(`${gateway}/metrics`)).text();
    for (const match of text.matchAll(new RegExp(`^${metric}\\{([^}]*)\\} (\\d+)`, 'gm'))) {
      const labels = Object.fromEntries([...match[1]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
      if (where(labels)) values.set(labels.replica!, (values.get(labels.replica!) ?? 0) + Number(match[2]));
    }
  }
  return values;
}

/** Successful calls to each replica, from every gateway. */
const okCalls = (gateways: string[]) => byReplica(gateways, 'shopgraph_gateway_subgraph_requests_total', (labels) => labels.outcome === 'ok');
/** How many gateways have each replica in rotation. */
const inRotation = (gateways: string[]) => byReplica(gateways, 'shopgraph_gateway_subgraph_replica_up');

/** Jobs that failed for good: in the dead-letters queue, or failed in a work queue. */
async function jobsFailedForGood(redisUrl: string, prefix: string): Promise<number> {
  const connection = createQueueConnection(redisUrl);
  const queues = createQueues(connection, prefix);
  try {
    const counts = await Promise.all(queueNames.map((name) => queues[name].getJobCounts(...(name === DEAD_LETTER_QUEUE ? [] : ['failed' as const]))));
    return counts.reduce((sum, byState) => sum + Object.values(byState).reduce((a, b) => a + b, 0), 0);
  } finally {
    await closeQueues(queues);
    connection.disconnect();
  }
}

async function jobAttempts(workers: string): Promise<number> {
  const text = await (await fetch(`${workers}/metrics`)).text();
  return [...text.matchAll(/^shopgraph_job_attempts_total\{[^}]*\} (\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

async function main(): Promise<void> {
  await checkDependencies();
  const logDir = mkdtempSync(`${tmpdir()}/shopgraph-scale-`);
  const database = startPrivatePostgres(await freePort(), MAX_CONNECTIONS);
  const queuePrefix = `{scale-${randomBytes(4).toString('hex')}}`;
  const port = async () => freePort();

  // Production settings, as the prod overlay gives them, with the crash-recovery knobs turned down
  // so that a killed worker's jobs are rerun within the test's patience.
  const base: Record<string, string> = {
    NODE_ENV: 'production',
    LOG_LEVEL: process.env.SCALE_LOG_LEVEL ?? 'warn',
    DATABASE_URL: database.url,
    REDIS_URL: testRedisUrl,
    JWT_SECRET: `scale-jwt-${randomBytes(16).toString('hex')}`,
    GATEWAY_SECRET: `scale-gateway-${randomBytes(16).toString('hex')}`,
    ADMIN_EMAIL: admin.email,
    ADMIN_PASSWORD: admin.password,
    QUEUE_PREFIX: queuePrefix,
    // Under the same hash tag, so the cleanup finds the response cache's keys too.
    CACHE_KEY_PREFIX: `${queuePrefix}:cache:`,
    // The load comes from one address: per-IP limits would measure the limiter, not the platform.
    RATE_LIMIT_ENABLED: 'false',
    JOB_LOCK_MS: '5000',
    STALLED_INTERVAL_MS: '5000',
  };

  const specs: ReplicaSpec[] = [];
  const providerPort = await port();
  specs.push({ name: 'payment-provider', kind: 'payment-provider', dir: 'payment-provider', entry: 'src/index.ts', port: providerPort, env: { ...base, PAYMENT_PROVIDER_PORT: String(providerPort) } });
  base.PAYMENT_PROVIDER_URL = `http://127.0.0.1:${providerPort}`;
  const replicaUrls: Record<string, string[]> = {};
  for (const subgraph of subgraphs) {
    for (const n of [1, 2]) {
      const p = await port();
      specs.push({ name: `${subgraph.name}-${n}`, kind: subgraph.name, dir: `subgraphs/${subgraph.name}`, entry: 'src/index.ts', port: p, env: { ...base, [subgraph.portEnv]: String(p) } });
      (replicaUrls[subgraph.name] ??= []).push(`http://127.0.0.1:${p}/graphql`);
    }
  }
  const gatewayEnv = Object.fromEntries(subgraphs.map((s) => [`SUBGRAPH_REPLICAS_${s.name.toUpperCase()}`, replicaUrls[s.name]!.join(',')]));
  for (const n of [1, 2]) {
    const p = await port();
    specs.push({ name: `workers-${n}`, kind: 'workers', dir: 'workers', entry: 'src/index.ts', port: p, env: { ...base, DASHBOARD_PORT: String(p) } });
  }
  for (const n of [1, 2]) {
    const p = await port();
    specs.push({ name: `gateway-${n}`, kind: 'gateway', dir: 'gateway', entry: 'src/index.ts', port: p, env: { ...base, ...gatewayEnv, GATEWAY_PORT: String(p) } });
  }
  const replicas = specs.map((spec) => new Replica(spec, `${logDir}/${spec.name}.log`));
  const byName = (name: string) => replicas.find((replica) => replica.spec.name === name)!;
  const gateways = replicas.filter((replica) => replica.spec.kind === 'gateway');
  // The first replica of every kind but the (single, in-memory) payment provider is the victim.
  const victims = ['gateway-1', 'products-1', 'users-1', 'orders-1', 'payments-1', 'workers-1'].map(byName);

  const balancer = new GatewayBalancer(gateways.map((gateway) => gateway.url));
  const sql = new pg.Client({ connectionString: database.url });
  let peakConnections = 0;
  let sampling: NodeJS.Timeout | undefined;
  // Whether the run ends, fails or is interrupted: no process, server or key is left behind.
  let cleaning: Promise<void> | undefined;
  const cleanUp = () =>
    (cleaning ??= (async () => {
      balancer.stopProbing();
      clearTimeout(sampling);
      await sql.end().catch(() => undefined);
      await Promise.all(replicas.map((replica) => replica.stop()));
      database.stop();
      const redis = new Redis(testRedisUrl);
      const keys = await redis.keys(`${queuePrefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.log(`\n${signal}: stopping the processes and the Postgres server`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
  try {
    console.log(`scale test: ${replicas.length} processes, logs in ${logDir}`);
    // Both replicas of a subgraph start together and migrate under the advisory lock.
    for (const replica of replicas) replica.start();
    await Promise.all(replicas.map((replica) => replica.ready(120_000)));
    await sql.connect();
    const sample = async () => {
      const { rows } = await sql.query<{ n: number }>('select count(*)::int as n from pg_stat_activity where backend_type = $1', ['client backend']);
      peakConnections = Math.max(peakConnections, rows[0]!.n);
      sampling = setTimeout(() => void sample().catch(() => undefined), 500);
    };
    await sample();
    balancer.startProbing();

    // The shop: a scarce product many want, plenty of others, customers.
    const adminToken = (
      await balancer.request<{ login: { token: string } }>('Login', `mutation Login($e: String!, $p: String!) { login(email: $e, password: $p) { token } }`, { e: admin.email, p: admin.password })
    ).login.token;
    const createProduct = async (name: string, stock: number) =>
      (
        await balancer.request<{ createProduct: { id: string } }>(
          'CreateProduct',
          `mutation CreateProduct($input: CreateProductInput!) { createProduct(input: $input) { id } }`,
          { input: { sku: `SCALE-${randomBytes(4).toString('hex')}`, name, price: { amount: 1500, currency: 'EUR' }, stock } },
          adminToken,
        )
      ).createProduct.id;
    const scarce = await createProduct('Scale limited edition', SCARCE_STOCK);
    const plenty = await Promise.all([1, 2, 3, 4].map((n) => createProduct(`Scale staple ${n}`, 100_000)));
    const initialOnHand = new Map<string, number>([[scarce, SCARCE_STOCK], ...plenty.map((id) => [id, 100_000] as [string, number])]);
    const customers: Customer[] = await Promise.all(
      Array.from({ length: SHOPPERS + BROWSERS }, async (_, n) => {
        const email = `scale-${n}-${randomBytes(3).toString('hex')}@example.com`;
        const answer = await balancer.request<{ register: { token: string } }>(
          'Register',
          `mutation Register($input: RegisterInput!) { register(input: $input) { token } }`,
          { input: { email, password: 'scale-customer-password', name: `Scale customer ${n}` } },
        );
        return { email, token: answer.register.token };
      }),
    );
    const pickItems = () => {
      const items = [{ productId: plenty[Math.floor(Math.random() * plenty.length)]!, quantity: 1 + Math.floor(Math.random() * 3) }];
      if (Math.random() < 0.5) items.push({ productId: scarce, quantity: 1 + Math.floor(Math.random() * 2) });
      return items;
    };

    // Steady load from now until the end of the run.
    let running = true;
    const checkouts: CheckoutRecord[] = [];
    const loadStartedAt = Date.now();
    const load = Promise.all([
      ...customers.slice(0, SHOPPERS).map((customer, n) => shopper(balancer, customer, pickItems, checkouts, () => running, `shopper${n}`)),
      ...customers.slice(SHOPPERS).map((customer) => browser(balancer, customer, [scarce, ...plenty], () => running)),
    ]);

    await sleep(WARM_UP_MS);
    const killedAt = Date.now();
    await Promise.all(victims.map((victim) => victim.kill()));
    // The kill takes effect between these two instants: what was sent before the last death may have been lost with it.
    const deadAt = Date.now();
    console.log(`killed ${victims.map((v) => v.spec.name).join(', ')} (SIGKILL) at +${((killedAt - loadStartedAt) / 1000).toFixed(1)} s`);
    await sleep(DOWN_MS);
    const restartedAt = Date.now();
    for (const victim of victims) victim.start();
    await Promise.all(victims.map((victim) => victim.ready(120_000)));
    const backAt = Date.now();
    const workerJobsAtBack = await jobAttempts(byName('workers-1').url);
    console.log(`restarted them; all ready ${((backAt - restartedAt) / 1000).toFixed(1)} s later`);
    // The gateways put each restarted replica back in rotation (every gateway: the restarted
    // one at once, the other when its ejection of the replica ends), then it takes its share.
    const gatewayUrls = gateways.map((gateway) => gateway.url);
    const restartedReplicas = subgraphs.map((subgraph) => replicaUrls[subgraph.name]![0]!);
    const backInRotationAfterMs: Record<string, number> = {};
    while (Date.now() - backAt < READMISSION_TIMEOUT_MS && Object.keys(backInRotationAfterMs).length < subgraphs.length) {
      const rotation = await inRotation(gatewayUrls);
      subgraphs.forEach((subgraph, i) => {
        if (!(subgraph.name in backInRotationAfterMs) && rotation.get(restartedReplicas[i]!) === gateways.length) backInRotationAfterMs[subgraph.name] = Date.now() - backAt;
      });
      await sleep(500);
    }
    const callsBefore = await okCalls(gatewayUrls);
    const windowStartedAt = Date.now();
    await sleep(SHARE_WINDOW_MS);
    const callsAfter = await okCalls(gatewayUrls);
    const workerJobsAtEnd = await jobAttempts(byName('workers-1').url);
    running = false;
    await load;
    const loadEndedAt = Date.now();

    // Everything the customers started settles: no order PENDING, no payment PROCESSING.
    const drainStartedAt = Date.now();
    let unsettled = { orders: -1, payments: -1 };
    while (Date.now() - drainStartedAt < DRAIN_TIMEOUT_MS) {
      const orders = await sql.query<{ n: number }>(`select count(*)::int as n from orders.orders where status = 'PENDING'`);
      const payments = await sql.query<{ n: number }>(`select count(*)::int as n from payments.payments where status = 'PROCESSING'`);
      unsettled = { orders: orders.rows[0]!.n, payments: payments.rows[0]!.n };
      if (unsettled.orders === 0 && unsettled.payments === 0) break;
      await sleep(500);
    }
    const drainMs = Date.now() - drainStartedAt;
    balancer.stopProbing();

    // ---- Figures ----
    const records = balancer.records;
    const inFlightAtKill = (r: RequestRecord) => r.startedAt < deadAt && r.endedAt >= killedAt;
    const failed = records.filter((r) => !r.ok);
    const excused = failed.filter(inFlightAtKill);
    const violations = failed.filter((r) => !inFlightAtKill(r));
    const seconds = (loadEndedAt - loadStartedAt) / 1000;
    const latency = (from: number, to: number) => records.filter((r) => r.ok && r.startedAt >= from && r.startedAt < to).map((r) => r.endedAt - r.startedAt);
    const phases = {
      'before the kill': latency(loadStartedAt, killedAt),
      'while down': latency(killedAt, backAt),
      'after the restart': latency(backAt, loadEndedAt),
    };
    console.log(`\nload: ${records.length} requests in ${seconds.toFixed(0)} s (${(records.length / seconds).toFixed(0)} req/s), ${records.filter((r) => r.mutation).length} mutations`);
    for (const [phase, values] of Object.entries(phases)) {
      console.log(`  ${phase.padEnd(18)} ${String(values.length).padStart(6)} ok, p50 ${quantile(values, 0.5)} ms, p99 ${quantile(values, 0.99)} ms`);
    }
    console.log(`failed requests: ${failed.length} (${excused.length} in flight at the kill, ${violations.length} others)`);
    const byError = new Map<string, number>();
    for (const r of failed) {
      const what = `${inFlightAtKill(r) ? 'in flight at the kill' : 'AFTER THE KILL'}: ${r.operation} via ${r.gateway === byName('gateway-1').url ? 'gateway-1' : 'gateway-2'}: ${r.error}`;
      byError.set(what, (byError.get(what) ?? 0) + 1);
    }
    for (const [what, n] of byError) console.log(`  ${n} × ${what}`);

    const orders = (await sql.query<{ id: string; status: string; idempotency_key: string; total_amount: number | null }>(
      `select id, status, idempotency_key, total_amount from orders.orders`,
    )).rows;
    const paid = checkouts.filter((c) => c.paidAfterMs !== undefined).map((c) => c.paidAfterMs!);
    console.log(`checkouts: ${checkouts.length} started, ${orders.filter((o) => o.status === 'PAID').length} PAID, ${orders.filter((o) => o.status === 'REJECTED').length} REJECTED; placeOrder → PAID p50 ${quantile(paid, 0.5)} ms, p99 ${quantile(paid, 0.99)} ms`);
    console.log(`drained in ${(drainMs / 1000).toFixed(1)} s after the load stopped; at most ${peakConnections} Postgres connections`);

    // ---- What must hold ----
    console.log('');
    check(violations.length === 0, `no request failed except those in flight at the kill (${violations.length} did)`);

    const known = checkouts.filter((c) => c.orderId);
    const orderById = new Map(orders.map((o) => [o.id, o]));
    check(known.every((c) => orderById.has(c.orderId!)), `every order a customer was told about exists (${known.length})`);
    const keys = new Set(checkouts.map((c) => c.key));
    const perKey = new Map<string, number>();
    for (const o of orders) perKey.set(o.idempotency_key, (perKey.get(o.idempotency_key) ?? 0) + 1);
    check(
      orders.every((o) => keys.has(o.idempotency_key)) && [...perKey.values()].every((n) => n === 1),
      `one order per idempotency key, none the customers did not ask for (${orders.length} orders, ${keys.size} keys)`,
    );
    const failedForGood = await jobsFailedForGood(testRedisUrl, queuePrefix);
    check(failedForGood === 0, `no job failed for good (${failedForGood} dead letters or failed jobs)`);
    check(unsettled.orders === 0 && unsettled.payments === 0, `no order stuck PENDING, no payment stuck PROCESSING (${unsettled.orders}, ${unsettled.payments} left)`);
    const payable = known.filter((c) => c.payRequested);
    const notPaid = payable.filter((c) => orderById.get(c.orderId!)?.status !== 'PAID');
    check(notPaid.length === 0, `every order paid for is PAID (${payable.length - notPaid.length}/${payable.length})`);
    const leftover = orders.filter((o) => !['PAID', 'REJECTED'].includes(o.status) && !payable.some((c) => c.orderId === o.id));
    check(leftover.every((o) => o.status === 'AWAITING_PAYMENT'), `orders never paid for wait for payment (${leftover.length})`);

    const charges = ((await (await fetch(`http://127.0.0.1:${providerPort}/v1/charges`)).json()) as { data: { idempotency_key: string; amount: number; refunded: boolean }[] }).data;
    const payments = (await sql.query<{ id: string; order_id: string; status: string; amount: number }>(`select id, order_id, status, amount from payments.payments`)).rows;
    const paymentById = new Map(payments.map((p) => [p.id, p]));
    const chargesPerOrder = new Map<string, number>();
    for (const charge of charges) {
      const orderId = paymentById.get(charge.idempotency_key)?.order_id ?? `unknown payment ${charge.idempotency_key}`;
      if (!charge.refunded) chargesPerOrder.set(orderId, (chargesPerOrder.get(orderId) ?? 0) + 1);
    }
    const paidOrders = orders.filter((o) => o.status === 'PAID');
    check([...chargesPerOrder.values()].every((n) => n === 1), `no order charged twice (${charges.length} charges)`);
    check(
      paidOrders.every((o) => chargesPerOrder.get(o.id) === 1) && chargesPerOrder.size === paidOrders.length,
      `exactly one charge per PAID order, none for another (${chargesPerOrder.size} charged, ${paidOrders.length} PAID)`,
    );
    check(
      charges.every((charge) => paymentById.get(charge.idempotency_key)?.amount === charge.amount),
      'every charge is for the amount of its payment',
    );

    const stock = (await sql.query<{ id: string; on_hand: number; reserved: number }>(`select id, on_hand, reserved from products.products`)).rows;
    const sold = (await sql.query<{ product_id: string; status: string; quantity: number }>(
      `select i.product_id, o.status, sum(i.quantity)::int as quantity from orders.order_items i join orders.orders o on o.id = i.order_id group by 1, 2`,
    )).rows;
    const soldOf = (id: string, status: string) => sold.find((s) => s.product_id === id && s.status === status)?.quantity ?? 0;
    for (const product of stock.filter((p) => initialOnHand.has(p.id))) {
      const initial = initialOnHand.get(product.id)!;
      const name = product.id === scarce ? `scarce product (${initial})` : `product ${product.id.slice(0, 8)}`;
      check(
        product.on_hand >= product.reserved && product.reserved >= 0 && initial - product.on_hand === soldOf(product.id, 'PAID') && product.reserved === soldOf(product.id, 'AWAITING_PAYMENT'),
        `no oversell of the ${name}: ${soldOf(product.id, 'PAID')} sold, ${product.reserved} held, ${product.on_hand - product.reserved} left`,
      );
    }
    check(soldOf(scarce, 'REJECTED') > 0, 'the scarce product sold out under the load (some orders REJECTED)');

    // Traffic back on the restarted replicas: each subgraph's restarted replica is readmitted by
    // the gateways and takes its share again, the restarted gateway serves, the restarted workers
    // process runs jobs.
    for (const subgraph of subgraphs) {
      const [restarted, other] = replicaUrls[subgraph.name]!;
      const calls = (url: string) => (callsAfter.get(url) ?? 0) - (callsBefore.get(url) ?? 0);
      const share = calls(restarted!) / Math.max(1, calls(restarted!) + calls(other!));
      const back = backInRotationAfterMs[subgraph.name];
      check(
        back !== undefined && share >= 0.3,
        `${subgraph.name}-1 takes traffic again: in rotation on every gateway ${back === undefined ? 'never' : `${(back / 1000).toFixed(0)} s after it was ready`}, then ${(share * 100).toFixed(0)}% of ${subgraph.name} calls`,
      );
    }
    const sentAfter = balancer.sent.filter((s) => s.at >= windowStartedAt);
    const gatewayShare = sentAfter.filter((s) => s.gateway === byName('gateway-1').url).length / Math.max(1, sentAfter.length);
    check(gatewayShare >= 0.25, `gateway-1 serves again: ${(gatewayShare * 100).toFixed(0)}% of requests after its restart`);
    check(workerJobsAtEnd > workerJobsAtBack, `workers-1 runs jobs again: ${workerJobsAtEnd - workerJobsAtBack} attempts after its restart`);

    const report = {
      requests: records.length,
      requestsPerSecond: Math.round(records.length / seconds),
      failed: failed.length,
      failedInFlightAtKill: excused.length,
      failedOtherwise: violations.length,
      latencyMs: Object.fromEntries(Object.entries(phases).map(([phase, values]) => [phase, { p50: quantile(values, 0.5), p99: quantile(values, 0.99) }])),
      checkouts: checkouts.length,
      paid: paidOrders.length,
      rejected: orders.filter((o) => o.status === 'REJECTED').length,
      placeToPaidMs: { p50: quantile(paid, 0.5), p99: quantile(paid, 0.99) },
      restartToReadyMs: backAt - restartedAt,
      backInRotationAfterMs,
      peakPostgresConnections: peakConnections,
      drainMs,
    };
    if (process.env.SCALE_REPORT) writeFileSync(process.env.SCALE_REPORT, `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    await cleanUp();
  }
  // The processes' logs are kept only when they may explain a failure.
  if (failures.length === 0) rmSync(logDir, { recursive: true, force: true });
  console.log(failures.length === 0 ? '\nscale test passed' : `\nscale test FAILED: ${failures.length} check(s); the processes' logs are in ${logDir}`);
  process.exitCode = failures.length === 0 ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
