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
 * gateways, two replicas of each subgraph, two workers processes and the payment provider on
 * distinct ports — under steady reads and checkouts in which customers pay, cancel unpaid
 * orders, cancel paid ones (refunds) and leave others to expire. Once that traffic is flowing,
 * at a moment when a payment is seen PROCESSING (a charge in flight), one replica of each kind
 * and the provider are SIGKILLed, then started again (the provider at once, as a kubelet
 * restarts a crashed container: it has no second replica). What must hold: no request fails
 * except those a dead process had in flight, no order is lost or stuck, nothing is charged twice
 * (refunded charges counted), nothing is oversold, every customer's intent ends as it should,
 * and traffic returns to the restarted processes. Prints the figures; exits 1 when anything
 * does not hold.
 */

/** How long the traffic may take to show every kind of checkout and a charge in flight. */
const KILL_TIMEOUT_MS = 120_000;
/** What the traffic must have done before the kill: the figures the checks below rest on. */
const BEFORE_KILL = { paid: 10, cancelledUnpaid: 2, cancelledPaid: 2 };
const DOWN_MS = 10_000;
/** How long the gateways may take to put a restarted replica back in rotation: their longest ejection (SUBGRAPH_EJECT_MAX_MS, 60 s) and a health check. */
const READMISSION_TIMEOUT_MS = 90_000;
/** The window in which each restarted replica must take its share. */
const SHARE_WINDOW_MS = 10_000;
/**
 * How long an unpaid order keeps its stock: short enough that abandoned orders expire during
 * the run, long enough that customers acting through the outage mostly act in time. One who
 * does not finds the order EXPIRED (and any payment of it refunded), which the checks accept.
 */
const RESERVATION_TTL_MS = 60_000;
const EXPIRY_TIMEOUT_MS = 90_000;
const DRAIN_TIMEOUT_MS = 90_000;
/** The least the whole run must show of each outcome, so that no check holds on an empty set. */
const AT_LEAST = { checkouts: 40, paid: 20, cancelledUnpaid: 3, refunded: 3, expired: 3, chargesInFlightAtKill: 1 };
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
    // On the gateway's operator listener: GATEWAY_PORT + 1000 unless set (gateway/src/env.ts).
    const operator = new URL(gateway);
    operator.port = String(Number(operator.port) + 1000);
    const text = await (await fetch(`${operator.origin}/metrics`)).text();
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

interface FailedJob {
  queue: string;
  name: string;
  reason: string;
  /** When its last attempt failed. */
  at: number;
  paymentId?: string;
}

/** Jobs that failed for good: each failed job of a work queue, and how many dead letters there are. */
async function jobsFailedForGood(redisUrl: string, prefix: string): Promise<{ failed: FailedJob[]; deadLetters: number }> {
  const connection = createQueueConnection(redisUrl);
  const queues = createQueues(connection, prefix);
  try {
    const failed = await Promise.all(
      queueNames
        .filter((name) => name !== DEAD_LETTER_QUEUE)
        .map(async (queue) =>
          (await queues[queue].getFailed()).map((job) => ({
            queue,
            name: job.name,
            reason: job.failedReason,
            at: job.finishedOn ?? 0,
            paymentId: (job.data as { paymentId?: string }).paymentId,
          })),
        ),
    );
    const deadLetters = Object.values(await queues[DEAD_LETTER_QUEUE].getJobCounts()).reduce((a, b) => a + b, 0);
    return { failed: failed.flat(), deadLetters };
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
    PAYMENT_PROVIDER_KEY: `scale-provider-${randomBytes(16).toString('hex')}`,
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
  // The provider keeps its ledger in a journal, as a real provider would: killed, it comes back knowing what it charged.
  specs.push({
    name: 'payment-provider',
    kind: 'payment-provider',
    dir: 'deploy',
    entry: 'scale/payment-provider.ts',
    args: [`${logDir}/payment-provider.journal`],
    port: providerPort,
    env: { ...base, PAYMENT_PROVIDER_PORT: String(providerPort) },
  });
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
    specs.push({
      name: `workers-${n}`,
      kind: 'workers',
      dir: 'workers',
      entry: 'src/index.ts',
      port: p,
      env: { ...base, DASHBOARD_PORT: String(p), RESERVATION_TTL_MS: String(RESERVATION_TTL_MS) },
    });
  }
  for (const n of [1, 2]) {
    const p = await port();
    specs.push({ name: `gateway-${n}`, kind: 'gateway', dir: 'gateway', entry: 'src/index.ts', port: p, env: { ...base, ...gatewayEnv, GATEWAY_PORT: String(p) } });
  }
  const replicas = specs.map((spec) => new Replica(spec, `${logDir}/${spec.name}.log`));
  const byName = (name: string) => replicas.find((replica) => replica.spec.name === name)!;
  const gateways = replicas.filter((replica) => replica.spec.kind === 'gateway');
  const provider = byName('payment-provider');
  // The first replica of every kind is a victim, and so is the (single) payment provider.
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
  const count = async (query: string) => (await sql.query<{ n: number }>(query)).rows[0]!.n;
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
      ...customers.slice(0, SHOPPERS).map((customer, n) => shopper(balancer, customer, pickItems, checkouts, () => running, `shopper${n}`, n)),
      ...customers.slice(SHOPPERS).map((customer) => browser(balancer, customer, [scarce, ...plenty], () => running)),
    ]);

    // The kill comes once the traffic has paid, cancelled and refunded, at a moment a charge is
    // in flight: a payment PROCESSING, its charge job queued or running against the provider.
    const seen = () => ({
      paid: checkouts.filter((c) => c.intent === 'pay' && c.paidAfterMs !== undefined).length,
      cancelledUnpaid: checkouts.filter((c) => c.intent === 'cancel-unpaid' && c.status === 'CANCELLED').length,
      cancelledPaid: checkouts.filter((c) => c.intent === 'cancel-paid' && c.status === 'CANCELLED').length,
    });
    const killDeadline = Date.now() + KILL_TIMEOUT_MS;
    let processingAtKill: string[] = [];
    for (;;) {
      const soFar = seen();
      if (soFar.paid >= BEFORE_KILL.paid && soFar.cancelledUnpaid >= BEFORE_KILL.cancelledUnpaid && soFar.cancelledPaid >= BEFORE_KILL.cancelledPaid) {
        processingAtKill = (await sql.query<{ id: string }>(`select id from payments.payments where status = 'PROCESSING'`)).rows.map((row) => row.id);
        if (processingAtKill.length > 0) break;
      }
      if (Date.now() > killDeadline) {
        throw new Error(`The traffic did not pay, cancel and refund with a charge in flight within ${KILL_TIMEOUT_MS / 1000} s: ${JSON.stringify(soFar)}`);
      }
      await sleep(soFar.paid >= BEFORE_KILL.paid ? 10 : 250);
    }
    const killedAt = Date.now();
    await Promise.all([...victims, provider].map((victim) => victim.kill()));
    // The kill takes effect between these two instants: what was sent before the last death may have been lost with it.
    const deadAt = Date.now();
    console.log(
      `killed ${[...victims, provider].map((v) => v.spec.name).join(', ')} (SIGKILL) at +${((killedAt - loadStartedAt) / 1000).toFixed(1)} s, ` +
        `${processingAtKill.length} payment(s) PROCESSING`,
    );
    provider.start();
    await provider.ready(120_000);
    const providerBackAt = Date.now();
    console.log(`payment-provider restarted at once, ready ${((providerBackAt - deadAt) / 1000).toFixed(1)} s after the kill`);
    await sleep(Math.max(0, DOWN_MS - (Date.now() - deadAt)));
    const restartedAt = Date.now();
    for (const victim of victims) victim.start();
    await Promise.all(victims.map((victim) => victim.ready(120_000)));
    const backAt = Date.now();
    const workerJobsAtBack = await jobAttempts(byName('workers-1').url);
    console.log(`restarted the others; all ready ${((backAt - restartedAt) / 1000).toFixed(1)} s later`);
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
    // Abandoned orders expire RESERVATION_TTL_MS after their reservation; the load goes on until some have.
    const expiryStartedAt = Date.now();
    let expired = 0;
    while (Date.now() - expiryStartedAt < EXPIRY_TIMEOUT_MS) {
      expired = await count(`select count(*)::int as n from orders.orders where status = 'EXPIRED'`);
      if (expired >= AT_LEAST.expired) break;
      await sleep(500);
    }
    running = false;
    await load;
    const loadEndedAt = Date.now();

    // Everything the customers started settles: no order PENDING, no payment PROCESSING, no
    // refund, release or restock still due.
    const unsettledNow = async () => ({
      'orders PENDING': await count(`select count(*)::int as n from orders.orders where status = 'PENDING'`),
      'payments PROCESSING': await count(`select count(*)::int as n from payments.payments where status = 'PROCESSING'`),
      'payments SUCCEEDED for an order not PAID (a refund due)': await count(
        `select count(*)::int as n from payments.payments p join orders.orders o on o.id = p.order_id where p.status = 'SUCCEEDED' and o.status <> 'PAID'`,
      ),
      'stock HELD for an order no longer awaiting payment (a release or commit due)': await count(
        `select count(*)::int as n from products.stock_reservations r join orders.orders o on o.id = r.order_id where r.status = 'HELD' and o.status <> 'AWAITING_PAYMENT'`,
      ),
      'stock COMMITTED for a CANCELLED order (a restock due)': await count(
        `select count(*)::int as n from products.stock_reservations r join orders.orders o on o.id = r.order_id where r.status = 'COMMITTED' and o.status = 'CANCELLED'`,
      ),
    });
    const drainStartedAt = Date.now();
    let unsettled = await unsettledNow();
    while (Object.values(unsettled).some((n) => n > 0) && Date.now() - drainStartedAt < DRAIN_TIMEOUT_MS) {
      await sleep(500);
      unsettled = await unsettledNow();
    }
    const drainMs = Date.now() - drainStartedAt;
    balancer.stopProbing();

    // ---- Figures ----
    const orders = (await sql.query<{ id: string; status: string; idempotency_key: string }>(`select id, status, idempotency_key from orders.orders`)).rows;
    const payments = (await sql.query<{ id: string; order_id: string; status: string; amount: number }>(`select id, order_id, status, amount from payments.payments`)).rows;
    const charges = ((await (await fetch(`http://127.0.0.1:${providerPort}/v1/charges`, { headers: { authorization: `Bearer ${base.PAYMENT_PROVIDER_KEY}` } })).json()) as {
      data: { idempotency_key: string; amount: number; refunded: boolean; created: string }[];
    }).data;
    const expiredOrders = new Set(orders.filter((o) => o.status === 'EXPIRED').map((o) => o.id));
    const records = balancer.records;
    const gatewayName = (url: string) => gateways.find((gateway) => gateway.url === url)!.spec.name;
    const inFlightAtKill = (r: RequestRecord) => r.startedAt < deadAt && r.endedAt >= killedAt;
    // Why a failed request may have failed: a process it depended on died with it in flight.
    // A query through the surviving gateway is retried on the other replica (upstream.ts), so
    // only mutations (sent exactly once) may fail there; payOrder also fails while the provider
    // is away, since it exchanges the card for a token before anything is written.
    const excuse = (r: RequestRecord): string | undefined => {
      if (r.error === 'CONFLICT' && r.orderId && expiredOrders.has(r.orderId)) return 'refused: the order had EXPIRED before the customer acted';
      if (gatewayName(r.gateway) === 'gateway-1' && inFlightAtKill(r)) return 'in flight on gateway-1 when it died';
      if (r.mutation && inFlightAtKill(r)) return 'a mutation in flight on a killed subgraph replica';
      if (r.operation === 'PayOrder' && r.startedAt < providerBackAt && r.endedAt >= killedAt) return 'payOrder while the payment provider was down';
      return undefined;
    };
    const failed = records.filter((r) => !r.ok);
    const excused = failed.filter((r) => excuse(r) !== undefined);
    const violations = failed.filter((r) => excuse(r) === undefined);
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
    console.log(`failed requests: ${failed.length} (${excused.length} a killed process had in flight, ${violations.length} others)`);
    const byError = new Map<string, number>();
    for (const r of failed) {
      const when = `sent ${((r.startedAt - killedAt) / 1000).toFixed(1)} s after the kill, answered in ${((r.endedAt - r.startedAt) / 1000).toFixed(1)} s`;
      const what = `${excuse(r) ?? `NOT EXCUSED (${when})`}: ${r.operation} via ${gatewayName(r.gateway)}: ${r.error}`;
      byError.set(what, (byError.get(what) ?? 0) + 1);
    }
    for (const [what, n] of byError) console.log(`  ${n} × ${what}`);

    const ordersIn = (status: string) => orders.filter((o) => o.status === status);
    const paymentsIn = (status: string) => payments.filter((p) => p.status === status);
    const paid = checkouts.filter((c) => c.paidAfterMs !== undefined).map((c) => c.paidAfterMs!);
    const byIntent = (intent: string) => checkouts.filter((c) => c.intent === intent).length;
    console.log(
      `checkouts: ${checkouts.length} started (${byIntent('pay')} to pay, ${byIntent('cancel-paid')} to pay and cancel, ${byIntent('cancel-unpaid')} to cancel unpaid, ${byIntent('abandon')} to abandon); ` +
        `orders ${['PAID', 'CANCELLED', 'EXPIRED', 'REJECTED', 'AWAITING_PAYMENT'].map((status) => `${ordersIn(status).length} ${status}`).join(', ')}`,
    );
    console.log(
      `payments: ${['SUCCEEDED', 'REFUNDED', 'FAILED'].map((status) => `${paymentsIn(status).length} ${status}`).join(', ')}; ` +
        `${charges.length} charges (${charges.filter((c) => c.refunded).length} refunded), ${processingAtKill.length} PROCESSING at the kill; ` +
        `${checkouts.reduce((sum, c) => sum + c.failedPayments, 0)} paid again after a FAILED payment`,
    );
    console.log(`placeOrder → PAID p50 ${quantile(paid, 0.5)} ms, p99 ${quantile(paid, 0.99)} ms`);
    console.log(`drained in ${(drainMs / 1000).toFixed(1)} s after the load stopped; at most ${peakConnections} Postgres connections`);

    // ---- What must hold ----
    console.log('');
    check(violations.length === 0, `no request failed except those a killed process had in flight (${violations.length} did)`);
    const refundedOrders = new Set(paymentsIn('REFUNDED').map((p) => p.order_id));
    const cancelledUnpaid = ordersIn('CANCELLED').filter((o) => !payments.some((p) => p.order_id === o.id));
    const figures = {
      checkouts: checkouts.length,
      paid: ordersIn('PAID').length,
      cancelledUnpaid: cancelledUnpaid.length,
      refunded: refundedOrders.size,
      expired: ordersIn('EXPIRED').length,
      chargesInFlightAtKill: processingAtKill.length,
    };
    check(
      (Object.keys(AT_LEAST) as (keyof typeof AT_LEAST)[]).every((what) => figures[what] >= AT_LEAST[what]),
      `the run did enough to prove something: ${Object.entries(AT_LEAST).map(([what, least]) => `${figures[what as keyof typeof AT_LEAST]} ${what} (≥ ${least})`).join(', ')}`,
    );

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
    // A charge job gives up after about 8 s of retries (packages/queues/src/job-options.ts): one
    // whose every attempt found the provider away (a slow restart on a loaded machine) is
    // dead-lettered and its payment FAILED, as designed; its customer pays again (load.ts). Any
    // other job failing for good, or a charge failing for another reason, is a failure.
    const failedForGood = await jobsFailedForGood(testRedisUrl, queuePrefix);
    const gaveUpOnProvider = (job: FailedJob) =>
      job.queue === 'payments' && job.name === 'charge-payment' && /payment provider unreachable/.test(job.reason) && job.at >= killedAt && job.at <= providerBackAt;
    const unexplained = failedForGood.failed.filter((job) => !gaveUpOnProvider(job));
    check(
      unexplained.length === 0 && failedForGood.deadLetters === failedForGood.failed.length,
      `no job failed for good but charges that gave up while the provider was down (${failedForGood.failed.length - unexplained.length}; ` +
        `${unexplained.length} others${unexplained.length > 0 ? `: ${[...new Set(unexplained.map((job) => `${job.queue}/${job.name}: ${job.reason}`))].join('; ')}` : ''}, ` +
        `${failedForGood.deadLetters} dead letters)`,
    );
    check(
      Object.values(unsettled).every((n) => n === 0),
      `everything settled: ${Object.entries(unsettled).map(([what, n]) => `${n} ${what}`).join(', ')}`,
    );
    const gaveUp = new Set(failedForGood.failed.filter(gaveUpOnProvider).map((job) => job.paymentId));
    const inFlightPayments = payments.filter((p) => processingAtKill.includes(p.id));
    check(
      inFlightPayments.length === processingAtKill.length &&
        inFlightPayments.every((p) => ['SUCCEEDED', 'REFUNDED'].includes(p.status) || (p.status === 'FAILED' && gaveUp.has(p.id))),
      `every payment PROCESSING at the kill went through, or gave up while the provider was down (${inFlightPayments.map((p) => p.status).join(', ')})`,
    );

    // Each intent ends as the customer meant it (an order REJECTED for want of stock had no say).
    // A customer who acted only after the reservation ran out finds the order EXPIRED: that is
    // right too, as long as no charge of it stands.
    const paymentStatuses = (c: CheckoutRecord) => payments.filter((p) => p.order_id === c.orderId).map((p) => p.status);
    const statusOf = (c: CheckoutRecord) => orderById.get(c.orderId!)?.status;
    const outcome = (c: CheckoutRecord) => `${statusOf(c)}${paymentStatuses(c).length > 0 ? ` [${paymentStatuses(c).join(' ')}]` : ''}`;
    const expiredFirst = (c: CheckoutRecord) => statusOf(c) === 'EXPIRED' && paymentStatuses(c).every((s) => s === 'REFUNDED' || s === 'FAILED');
    let late = 0;
    const expectOutcome = (intent: string, holds: (c: CheckoutRecord) => boolean, what: string) => {
      const acted = known.filter((c) => c.intent === intent && statusOf(c) !== 'REJECTED');
      const wrong = acted.filter((c) => !holds(c) && !(intent !== 'abandon' && expiredFirst(c)));
      const expiredBeforeActing = acted.filter((c) => !holds(c) && !wrong.includes(c)).length;
      late += expiredBeforeActing;
      check(
        wrong.length === 0,
        `${what} (${acted.length - wrong.length - expiredBeforeActing}/${acted.length}${expiredBeforeActing > 0 ? `, ${expiredBeforeActing} EXPIRED before the customer acted` : ''}` +
          `${wrong.length > 0 ? `; not: ${wrong.slice(0, 5).map(outcome).join(', ')}` : ''})`,
      );
    };
    expectOutcome(
      'pay',
      (c) => statusOf(c) === 'PAID' && paymentStatuses(c).filter((s) => s !== 'FAILED').join() === 'SUCCEEDED',
      'every order its customer paid for is PAID, with one SUCCEEDED payment',
    );
    expectOutcome(
      'cancel-paid',
      (c) => statusOf(c) === 'CANCELLED' && paymentStatuses(c).filter((s) => s !== 'FAILED').join() === 'REFUNDED',
      'every order paid for, then cancelled, is CANCELLED with its payment REFUNDED',
    );
    expectOutcome('cancel-unpaid', (c) => statusOf(c) === 'CANCELLED' && paymentStatuses(c).length === 0, 'every order cancelled unpaid is CANCELLED, never charged');
    expectOutcome(
      'abandon',
      (c) => ['EXPIRED', 'AWAITING_PAYMENT'].includes(statusOf(c)!) && paymentStatuses(c).length === 0,
      'every order left unpaid EXPIRED or still awaits payment, never charged',
    );

    // The provider's ledger against the payments: refunded charges count too.
    const paymentById = new Map(payments.map((p) => [p.id, p]));
    const chargesPerOrder = new Map<string, typeof charges>();
    for (const charge of charges) {
      const orderId = paymentById.get(charge.idempotency_key)?.order_id ?? `unknown payment ${charge.idempotency_key}`;
      chargesPerOrder.set(orderId, [...(chargesPerOrder.get(orderId) ?? []), charge]);
    }
    check([...chargesPerOrder.values()].every((list) => list.length === 1), `no order charged twice, refunded charges included (${charges.length} charges for ${chargesPerOrder.size} orders)`);
    check(
      charges.every((charge) => {
        const payment = paymentById.get(charge.idempotency_key);
        return payment?.amount === charge.amount && payment.status === (charge.refunded ? 'REFUNDED' : 'SUCCEEDED');
      }),
      'every charge is for its payment, of its amount: SUCCEEDED if it stands, REFUNDED if it was refunded',
    );
    check(
      [...paymentsIn('SUCCEEDED'), ...paymentsIn('REFUNDED')].every((p) => charges.some((charge) => charge.idempotency_key === p.id)),
      'every SUCCEEDED or REFUNDED payment has its charge at the provider',
    );
    check(
      ordersIn('PAID').every((o) => chargesPerOrder.get(o.id)?.filter((charge) => !charge.refunded).length === 1),
      `exactly one standing charge per PAID order (${ordersIn('PAID').length})`,
    );
    const chargedAfterRestart = charges.filter((charge) => Date.parse(charge.created) >= providerBackAt).length;
    check(chargedAfterRestart > 0, `the payment provider came back: ${chargedAfterRestart} charges after its restart`);

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
      paid: figures.paid,
      cancelledUnpaid: figures.cancelledUnpaid,
      refunded: figures.refunded,
      expired: figures.expired,
      expiredBeforeTheCustomerActed: late,
      rejected: ordersIn('REJECTED').length,
      charges: charges.length,
      paymentsProcessingAtKill: processingAtKill.length,
      placeToPaidMs: { p50: quantile(paid, 0.5), p99: quantile(paid, 0.99) },
      providerRestartToReadyMs: providerBackAt - deadAt,
      restartToReadyMs: backAt - restartedAt,
      backInRotationAfterMs,
      peakPostgresConnections: peakConnections,
      drainMs,
    };
    console.log(`\nfigures: ${JSON.stringify(report)}`);
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
