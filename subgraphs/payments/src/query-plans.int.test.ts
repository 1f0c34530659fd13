import { createDb, createLogger, prepareSubgraphDatabase, type Db } from '@shopgraph/common';
import { createTestDatabase, planProblemsOfRead, StatementRecorder, type PlanExpectation, type TestDatabase } from '@shopgraph/testing';
import { sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoaders } from './loaders.js';
import { migrationsFolder } from './server.js';

// The list reads of the payments subgraph (the loaders behind Order.payment and Payment
// references), EXPLAINed exactly as they are sent, on the benchmark's payments of 20,000 orders
// (every 10th declined once first). Autovacuum is not relied on (it may be off): the rows are
// planned fresh, then after an ANALYZE that newer rows postdate.

const logger = createLogger('payments-plans', 'silent');
/** The id of seeded order `n`. */
const orderId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

let database: TestDatabase;
let db: Db;
let recorded: Db;
const recorder = new StatementRecorder();

/** Payments of orders numbered `first` on: a success each, a decline before it for every 10th. */
async function insertPayments(first: number, count: number) {
  await db.execute(sql`
    insert into payments (order_id, user_id, amount, currency, status, failure_reason, card_last4, created_at)
    select ('00000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid, gen_random_uuid(), 1000, 'EUR',
           case when attempt = 1 then 'SUCCEEDED' else 'FAILED' end, case when attempt = 0 then 'card_declined' end,
           '4242', now() - i * interval '1 minute' + attempt * interval '10 seconds'
    from generate_series(${first}::int, ${first + count - 1}::int) as i, generate_series(0, 1) as attempt
    where attempt = 1 or i % 10 = 0`);
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb({ url: database.url, subgraph: 'payments', logger, max: 2 });
  await prepareSubgraphDatabase(database.url, db, 'payments', migrationsFolder);
  // The same connections, every statement recorded as sent.
  recorded = drizzle({ client: db.$client, logger: recorder.logger }) as Db;
  await insertPayments(1, 20_000);
});

afterAll(async () => {
  await db?.$client.end();
  await database?.drop();
});

interface Read extends PlanExpectation {
  name: string;
  read: () => Promise<unknown>;
}

/** The orders of a page of 20, declined-then-paid ones among them. */
const pageOfOrders = Array.from({ length: 20 }, (_, i) => orderId(101 + i));

const reads: Read[] = [
  {
    name: 'the latest payment of each order of a page (Order.payment)',
    read: () => {
      const loaders = createLoaders(recorded);
      return Promise.all(pageOfOrders.map((id) => loaders.latestPaymentByOrderId.load(id)));
    },
    // One ordered probe per order, stopped at its first entry: no sort of the orders' attempts.
    uses: ['Index Scan on payments_order_latest_idx'],
  },
  {
    name: 'payments by id (entity references)',
    read: async () => {
      const { rows } = await db.execute<{ id: string }>(sql`select id from payments order by created_at desc limit 20`);
      const loaders = createLoaders(recorded);
      return Promise.all(rows.map((row) => loaders.paymentById.load(row.id)));
    },
    uses: ['payments_pkey'],
  },
];

/** `analyzed`: the planner has statistics (older than some rows); see `anyNodeType` otherwise. */
function checkEveryRead(analyzed: boolean) {
  it.each(reads)('$name uses its index and scans no large table', async ({ read, ...expectation }) => {
    expect(await planProblemsOfRead(db.$client, recorder, read, { ...expectation, anyNodeType: !analyzed })).toEqual([]);
  });
}

describe('on rows never analyzed', () => {
  checkEveryRead(false);
});

describe('on rows inserted after the last ANALYZE', () => {
  beforeAll(async () => {
    await db.execute(sql`analyze payments`);
    await insertPayments(20_001, 5000);
  });
  checkEveryRead(true);
});
