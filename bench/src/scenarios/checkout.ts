import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { defaultCacheKeyPrefix } from '@shopgraph/cache';
import pg from 'pg';
import type { CheckoutLoadCommand, CheckoutLoadResult } from '../load/protocol.js';
import { sumBy } from '../metrics.js';
import { round, UsageMeter, type ProcessUsage } from '../proc.js';
import type { Progress } from '../progress.js';
import { benchId } from '../seed.js';
import type { Stage } from '../stage.js';
import { percentiles, ratio, type Percentiles } from '../stats.js';
import { serverSideLatency, watchRedis, type RedisPerOrder, type ServerSideLatency } from './checkout-costs.js';

const run = promisify(execFile);

/** An order that has not reached a final status by then is reported as stuck. */
const ORDER_TIMEOUT_SECONDS = 30;
/** Customers placing the counted orders: a few at a time, as under load, but no more than the orders. */
const COUNTED_CUSTOMERS = 4;

export interface PgbenchResult {
  clients: number;
  scale: number;
  seconds: number;
  /** pgbench's TPC-B-like transaction: 3 updates, 1 insert, 1 select, committed. */
  tps: number;
}

export interface CheckoutResult {
  customers: number;
  /** Seconds during which new orders were placed (orders in flight then finished). */
  placingSeconds: number;
  seconds: number;
  placed: number;
  /** Orders by final status seen (PAID, REJECTED when a hot product had run out, …). */
  byStatus: Record<string, number>;
  paidPerSecond: number;
  /** placeOrder sent → PAID seen by the customer (who polls every 20 ms), over PAID orders. */
  latencyMs: Percentiles;
  errors: { transport: number; graphql: number; requests: number; first: string | null };
  /** Units of the hot products sold beyond their stock: must be 0. */
  oversold: number;
  /** Hot products whose on-hand units do not equal their stock minus the units in PAID orders. */
  stockMismatches: number;
  hotProducts: { productId: string; stock: number; soldInPaidOrders: number; onHandAfter: number; reservedAfter: number }[];
  processes: Record<string, ProcessUsage>;
  /** Mean seconds per job attempt by queue, over the load. */
  jobSeconds: Record<string, { jobs: number; meanSeconds: number }>;
  writeTransactions: {
    /** Orders placed and paid one after another while Postgres' WAL was read. */
    countedOrders: number;
    paidCountedOrders: number;
    /** Committed transactions that wrote to the bench database, read from the WAL (pg_walinspect). */
    total: number | null;
    perOrder: number | null;
    method: string;
  };
  /** Redis traffic of the counted orders (the same run that counts write transactions). */
  redis: RedisPerOrder;
  /** Latencies of the PAID orders of the load, read from the database. Targets: placed → AWAITING_PAYMENT p50 ≤ 40, p99 ≤ 250; payment → PAID p50 ≤ 80, p99 ≤ 250. */
  serverLatency: ServerSideLatency;
  /** PAID orders per second by concurrent customers (ordinary products only), to show where throughput stops growing. */
  curve: CurvePoint[];
  pgbench: PgbenchResult;
  /** pgbench tps / write transactions per order: the orders/s Postgres alone would allow. */
  ceilingOrdersPerSecond: number | null;
  /** paidPerSecond / ceiling. Target ≥ 0.5. */
  ratioToCeiling: number | null;
  missing: string[];
}

export interface CurvePoint {
  customers: number;
  placed: number;
  paid: number;
  paidPerSecond: number;
}

/**
 * Waits until the server has `needed` connection slots free. The platform's pools (up to 10 per
 * process) stay open a while after a load, and other suites may share the server: pgbench must
 * not be refused for want of a connection.
 */
async function waitForConnectionSlots(admin: pg.Client, needed: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await admin.query<{ free: number }>(
      `select current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int
              - (select count(*) from pg_stat_activity where backend_type = 'client backend')::int as free`,
    );
    if (rows[0]!.free >= needed || Date.now() > deadline) return;
    await sleep(500);
  }
}

async function pgbench(admin: pg.Client, url: string, clients: number, seconds: number): Promise<PgbenchResult> {
  await waitForConnectionSlots(admin, clients + 2);
  // Scale = clients: TPC-B updates one branch row per scale unit, so fewer rows would queue the clients on locks.
  await run('pgbench', ['-i', '-q', '-s', String(clients), url]);
  const { stdout } = await run('pgbench', ['-c', String(clients), '-j', '2', '-T', String(seconds), url]);
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout);
  if (!tps) throw new Error(`pgbench printed no tps:\n${stdout}`);
  await run('pgbench', ['-i', '-I', 'd', url]);
  return { clients, scale: clients, seconds, tps: round(Number(tps[1]), 1) };
}

/**
 * Counts write transactions in the bench database between two WAL positions: the xids of WAL
 * records that touch one of its relations, and that have a commit record. Read-only
 * transactions get no xid and write no WAL, so they are not counted; other databases on the
 * same server are told apart by the database oid in each record's block reference.
 */
async function committedWriteTransactions(admin: pg.Client, from: string, to: string, databaseOid: number): Promise<number> {
  const { rows } = await admin.query<{ count: string }>(
    `with records as (
       select xid, resource_manager, record_type, block_ref from pg_get_wal_records_info($1::pg_lsn, $2::pg_lsn)
     ), writers as (
       select distinct xid::text as xid from records where xid::text <> '0' and block_ref ~ ('rel \\d+/' || $3::text || '/')
     )
     select count(distinct r.xid::text) as count from records r join writers w on w.xid = r.xid::text
     where r.resource_manager = 'Transaction' and r.record_type like 'COMMIT%'`,
    [from, to, databaseOid],
  );
  return Number(rows[0]!.count);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the workers have finished every step after PAID for these orders (stock committed, payable closed). */
async function settled(admin: pg.Client, orderIds: string[], timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await admin.query<{ committed: string; paid: string; unsent: string }>(
      `select (select count(*) from products.stock_reservations where order_id = any($1::uuid[]) and status = 'COMMITTED') as committed,
              (select count(*) from payments.payable_orders where order_id = any($1::uuid[]) and status = 'PAID') as paid,
              (select count(*) from orders.outbox where sent_at is null) + (select count(*) from payments.outbox where sent_at is null) as unsent`,
      [orderIds],
    );
    const row = rows[0]!;
    if (Number(row.committed) === orderIds.length && Number(row.paid) === orderIds.length && Number(row.unsent) === 0) return;
    if (Date.now() > deadline) throw new Error(`the workers did not finish the counted orders within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/**
 * Scenario 3, checkout under concurrency: customers place and pay orders (some wanting one of a
 * few hot products that sell out), measured to PAID; afterwards, the hot products' stock is
 * checked for overselling. A short counted run reads the WAL to count the write transactions
 * one order costs, and pgbench on the same Postgres gives the database-bound ceiling.
 */
export async function runCheckout(stage: Stage, progress: Progress): Promise<CheckoutResult> {
  const { options } = stage;
  const { seed } = options;
  const missing: string[] = [];
  const task = progress.task('checkout', 5);
  const admin = new pg.Client({ connectionString: stage.database.url });
  await admin.connect();
  try {
    const customers = Math.min(options.checkout.customers, seed.users);
    // The throughput curve may want more customers than the load.
    const tokens = await Promise.all(
      Array.from({ length: Math.min(Math.max(customers, ...options.checkout.curveCustomers), seed.users) }, (_, i) => stage.tokenFor(i + 1)),
    );
    const hotProductIds = Array.from({ length: seed.hotProducts }, (_, i) => benchId('product', i + 1));
    // Ordinary products come from the long tail, well away from the hot ones.
    const productIds = Array.from({ length: Math.min(200, seed.products - seed.hotProducts) }, (_, i) => benchId('product', seed.products - i));

    const processNames = ['gateway', 'products', 'orders', 'payments', 'workers', 'payment-provider'] as const;
    const meter = new UsageMeter(new Map([...stage.pidsOf(...processNames), ['load generator', stage.loadgen.pid]]), [stage.postgres]);
    const workersMetrics = stage.metricsUrl('workers');
    const jobsBefore = {
      sum: await sumBy(workersMetrics, 'shopgraph_job_duration_seconds_sum', 'queue'),
      count: await sumBy(workersMetrics, 'shopgraph_job_duration_seconds_count', 'queue'),
    };
    await meter.begin();
    const load: CheckoutLoadResult = await stage.loadgen.run({ ...loadCommand(stage, tokens.slice(0, customers), productIds), hotProductIds, seconds: options.checkout.seconds });
    await meter.end();
    task.advance(`${load.outcomes.length} orders placed`);
    const jobsAfter = {
      sum: await sumBy(workersMetrics, 'shopgraph_job_duration_seconds_sum', 'queue'),
      count: await sumBy(workersMetrics, 'shopgraph_job_duration_seconds_count', 'queue'),
    };
    const jobSeconds = Object.fromEntries(
      Object.keys(jobsAfter.count).map((queue) => {
        const jobs = (jobsAfter.count[queue] ?? 0) - (jobsBefore.count[queue] ?? 0);
        const seconds = (jobsAfter.sum[queue] ?? 0) - (jobsBefore.sum[queue] ?? 0);
        return [queue, { jobs, meanSeconds: jobs > 0 ? round(seconds / jobs, 4) : 0 }];
      }),
    );

    // Overselling, from the database itself: units of each hot product in PAID orders vs its stock.
    const { rows: stock } = await admin.query<{ id: string; on_hand: number; reserved: number; sold: string }>(
      `select p.id, p.on_hand, p.reserved,
              coalesce((select sum(i.quantity) from orders.order_items i join orders.orders o on o.id = i.order_id
                        where i.product_id = p.id and o.status = 'PAID' and o.idempotency_key like 'bench-checkout-%'), 0) as sold
       from products.products p where p.id = any($1::uuid[]) order by p.id`,
      [hotProductIds],
    );
    const hotProducts = stock.map((row) => ({
      productId: row.id,
      stock: seed.hotStock,
      soldInPaidOrders: Number(row.sold),
      onHandAfter: row.on_hand,
      reservedAfter: row.reserved,
    }));
    const oversold = hotProducts.reduce((n, p) => n + Math.max(0, p.soldInPaidOrders - p.stock), 0);
    const stockMismatches = hotProducts.filter((p) => p.onHandAfter !== p.stock - p.soldInPaidOrders).length;

    const serverLatency = await serverSideLatency(admin, paidOrderIds(load));
    // Where adding customers stops adding PAID orders per second: ordinary products only, so none sells out.
    const curve: CurvePoint[] = [];
    for (const count of options.checkout.curveCustomers.filter((n) => n <= tokens.length)) {
      await settled(admin, []);
      const point = await stage.loadgen.run({ ...loadCommand(stage, tokens.slice(0, count), productIds), seconds: options.checkout.curveSeconds });
      const paidCount = paidOrderIds(point).length;
      curve.push({ customers: count, placed: point.outcomes.length, paid: paidCount, paidPerSecond: round(paidCount / point.seconds, 1) });
    }
    task.advance(`curve: ${curve.map((p) => `${p.customers} → ${p.paidPerSecond}/s`).join(', ')}`);

    // The counted run: a few orders alone, every write transaction read back from the WAL and every Redis command watched.
    const { writeTransactions, redis } = await countWriteTransactions(stage, admin, tokens, productIds, missing);
    task.advance('write transactions and Redis round trips per order counted');
    const bench = await pgbench(admin, stage.database.url, options.pgbenchClients, options.pgbenchSeconds);
    task.advance(`pgbench ${bench.tps} tps`);

    const byStatus: Record<string, number> = {};
    for (const outcome of load.outcomes) byStatus[outcome.status] = (byStatus[outcome.status] ?? 0) + 1;
    const paid = load.outcomes.filter((o) => o.status === 'PAID');
    const paidPerSecond = round(paid.length / load.seconds, 1);
    const ceiling = writeTransactions.perOrder ? round(bench.tps / writeTransactions.perOrder, 1) : null;
    task.advance('done');
    task.done();
    return {
      customers,
      placingSeconds: options.checkout.seconds,
      seconds: round(load.seconds, 2),
      placed: load.outcomes.length,
      byStatus,
      paidPerSecond,
      latencyMs: percentiles(paid.map((o) => o.latencyMs)),
      errors: { transport: load.transportErrors, graphql: load.graphqlErrors, requests: load.requests, first: load.firstError },
      oversold,
      stockMismatches,
      hotProducts,
      processes: meter.result(),
      jobSeconds,
      writeTransactions,
      redis,
      serverLatency,
      curve,
      pgbench: bench,
      ceilingOrdersPerSecond: ceiling,
      ratioToCeiling: ceiling ? ratio(paidPerSecond, ceiling) : null,
      missing,
    };
  } finally {
    await admin.end();
  }
}

/** A load of customers ordering ordinary products, each order placed and paid to its end. */
function loadCommand(stage: Stage, tokens: string[], productIds: string[]): CheckoutLoadCommand {
  return {
    kind: 'checkout',
    gatewayUrl: stage.gatewayUrl,
    tokens,
    productIds,
    hotProductIds: [],
    seconds: 0,
    orders: 0,
    orderTimeoutSeconds: ORDER_TIMEOUT_SECONDS,
  };
}

const paidOrderIds = (load: CheckoutLoadResult) => load.outcomes.filter((o) => o.status === 'PAID' && o.orderId).map((o) => o.orderId!);

async function countWriteTransactions(
  stage: Stage,
  admin: pg.Client,
  tokens: string[],
  productIds: string[],
  missing: string[],
): Promise<{ writeTransactions: CheckoutResult['writeTransactions']; redis: RedisPerOrder }> {
  const countedOrders = stage.options.checkout.countedOrders;
  const method = 'pg_walinspect: distinct committed xids whose WAL records touch the bench database';
  let walinspect = true;
  try {
    await admin.query('create extension if not exists pg_walinspect');
  } catch (error) {
    walinspect = false;
    missing.push(`write transactions per order: pg_walinspect is not available (${(error as Error).message})`);
  }
  // Whatever the load left in flight finishes first: its writes are not the counted orders'.
  await settled(admin, []);
  const { rows } = await admin.query<{ oid: number; lsn: string }>(
    'select oid, pg_current_wal_lsn()::text as lsn from pg_database where datname = current_database()',
  );
  const { oid, lsn: from } = rows[0]!;
  const redisWatch = await watchRedis(stage.env.REDIS_URL!, [stage.env.QUEUE_PREFIX!, defaultCacheKeyPrefix(stage.database.url)]);
  const counted = await stage.loadgen.run({
    ...loadCommand(stage, tokens.slice(0, Math.min(COUNTED_CUSTOMERS, countedOrders)), productIds),
    orders: countedOrders,
  });
  const paidIds = paidOrderIds(counted);
  await settled(admin, paidIds);
  const paidCountedOrders = paidIds.length;
  const redis = await redisWatch.stop(paidCountedOrders);
  if (paidCountedOrders !== countedOrders) {
    missing.push(`write transactions per order: only ${paidCountedOrders} of ${countedOrders} counted orders were paid (${counted.firstError ?? 'no error seen'})`);
  }
  if (!walinspect) return { writeTransactions: { countedOrders, paidCountedOrders, total: null, perOrder: null, method }, redis };
  const { rows: end } = await admin.query<{ lsn: string }>('select pg_current_wal_flush_lsn()::text as lsn');
  const total = await committedWriteTransactions(admin, from, end[0]!.lsn, oid);
  return {
    writeTransactions: {
      countedOrders,
      paidCountedOrders,
      total,
      perOrder: paidCountedOrders > 0 ? round(total / paidCountedOrders, 2) : null,
      method,
    },
    redis,
  };
}
