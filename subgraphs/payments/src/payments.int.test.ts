import { randomUUID } from 'node:crypto';
import { createDb, createLogger, stableId, type Db, type Viewer } from '@shopgraph/common';
import type { RunningServer } from '@shopgraph/common/subgraph';
import { createTestDatabase, readCounter, subgraphRequest, testEnv, type TestDatabase } from '@shopgraph/testing';
import { count, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payableOrders, payments } from './db/schema.js';
import { demoPayments, type DemoOrderToPay } from './demo-data.js';
import { loadConfig, type PaymentsConfig } from './env.js';
import { seedPayments } from './seed.js';
import { createPaymentsServer } from './server.js';

const customer = (key: string): Viewer => ({ id: stableId(`user:${key}`), role: 'CUSTOMER' });
const [alice, bob, carol] = [customer('alice'), customer('bob'), customer('carol')];
const admin: Viewer = { id: '00000000-0000-4000-8000-000000000001', role: 'ADMIN' };

const paymentId = (key: string) => stableId(`payment:${key}`);
const orderId = (key: string) => stableId(`order:${key}`);

/** The demo orders as the orders subgraph prices them (its demo data is not this one's to import). */
const orderToPay = (key: string, owner: Viewer, status: DemoOrderToPay['status'], amount: number): DemoOrderToPay => ({
  id: orderId(key),
  userId: owner.id,
  status,
  total: { amount, currency: 'EUR' },
});
const ordersToPay: DemoOrderToPay[] = [
  orderToPay('alice-paid', alice, 'PAID', 4430),
  orderToPay('alice-awaiting', alice, 'AWAITING_PAYMENT', 6900),
  orderToPay('alice-pending', alice, 'PENDING', 4800),
  orderToPay('alice-rejected', alice, 'REJECTED', 64000),
  orderToPay('alice-expired', alice, 'EXPIRED', 4500),
  orderToPay('alice-cancelled', alice, 'CANCELLED', 2200),
  orderToPay('bob-paid', bob, 'PAID', 22300),
  orderToPay('bob-declined', bob, 'AWAITING_PAYMENT', 16800),
  orderToPay('carol-refunded', carol, 'CANCELLED', 9900),
  orderToPay('carol-processing', carol, 'AWAITING_PAYMENT', 8500),
];

const PAYMENT = `query($id: ID!) {
  payment(id: $id) { id order { id } amount { amount currency } status failureReason createdAt updatedAt }
}`;
const ORDER_PAYMENTS = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Order { id payment { id status } } } }`;
const orderReps = (ids: string[]) => ({ reps: ids.map((id) => ({ __typename: 'Order', id })) });

let database: TestDatabase;
let config: PaymentsConfig;
let server: RunningServer;
let url: string;
let db: Db;
const gql = (query: string, variables: Record<string, unknown> = {}, viewer: Viewer | null = null) =>
  subgraphRequest({ url, name: 'payments' }, query, variables, viewer);

beforeAll(async () => {
  database = await createTestDatabase();
  config = loadConfig(testEnv(database.url));
  server = await createPaymentsServer(config);
  url = await server.listen(0, '127.0.0.1');
  await seedPayments(config, demoPayments, ordersToPay);
  // The test's own connection, as the payments role: attempts the checkout flow would record.
  db = createDb({ url: database.url, subgraph: 'payments', logger: createLogger('payments-test', 'silent'), max: 2 });
});

afterAll(async () => {
  await db?.$client.end();
  await server?.close();
  await database?.drop();
});

describe('payment(id)', () => {
  it('shows the owner their payment, priced at the order total', async () => {
    const result = await gql(PAYMENT, { id: paymentId('alice-paid') }, alice);
    expect(result.errors).toBeUndefined();
    // 2 × MUG-BLUE at 1490 + 1 × BEANS-ETH at 1450.
    expect(result.data!.payment).toMatchObject({
      id: paymentId('alice-paid'),
      order: { id: orderId('alice-paid') },
      amount: { amount: 4430, currency: 'EUR' },
      status: 'SUCCEEDED',
      failureReason: null,
    });
    const placed = Date.parse(result.data!.payment.createdAt);
    expect(Math.abs(Date.now() - (60 * 24 * 3 - 1) * 60_000 - placed)).toBeLessThan(5 * 60_000);
  });

  it('tells the owner why an attempt failed', async () => {
    const result = await gql(PAYMENT, { id: paymentId('bob-declined') }, bob);
    expect(result.data!.payment).toMatchObject({
      amount: { amount: 7900 + 8900, currency: 'EUR' },
      status: 'FAILED',
      failureReason: 'card_declined',
    });
  });

  it('shows an admin anyone’s payment', async () => {
    const result = await gql(PAYMENT, { id: paymentId('carol-refunded') }, admin);
    expect(result.data!.payment).toMatchObject({ amount: { amount: 9900, currency: 'EUR' }, status: 'REFUNDED' });
  });

  it('answers another customer exactly as it answers an id that names nothing', async () => {
    const missingId = randomUUID();
    const other = await gql(PAYMENT, { id: paymentId('alice-paid') }, bob);
    const missing = await gql(PAYMENT, { id: missingId }, bob);
    expect(other.data?.payment).toBeNull();
    expect(other.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const withoutId = (response: typeof other, id: string) => {
      const { id: _id, ...extensions } = response.errors![0]!.extensions!;
      return { message: response.errors![0]!.message.replace(id, '<id>'), extensions, data: response.data };
    };
    expect(withoutId(other, paymentId('alice-paid'))).toEqual(withoutId(missing, missingId));
  });

  it('answers anonymous callers with NOT_FOUND', async () => {
    const result = await gql(PAYMENT, { id: paymentId('alice-paid') });
    expect(result.data?.payment).toBeNull();
    expect(result.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('answers a malformed id with BAD_USER_INPUT', async () => {
    const result = await gql(PAYMENT, { id: 'not-a-uuid' }, alice);
    expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  it('applies the same rule to Payment references', async () => {
    const query = `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Payment { id status } } }`;
    const reps = [{ __typename: 'Payment', id: paymentId('carol-processing') }];
    const owner = await gql(query, { reps }, carol);
    expect(owner.data!._entities).toEqual([{ id: paymentId('carol-processing'), status: 'PROCESSING' }]);
    const other = await gql(query, { reps }, alice);
    expect(other.data!._entities).toEqual([null]);
    expect(other.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

describe('Order.payment', () => {
  beforeAll(async () => {
    // Bob pays his declined order again; the retry is the latest attempt.
    await db.insert(payments).values({
      id: paymentId('bob-declined-retry'),
      orderId: orderId('bob-declined'),
      userId: bob.id,
      amount: 16800,
      currency: 'EUR',
      status: 'PROCESSING',
      cardLast4: '4242',
      idempotencyKey: 'retry-1',
    });
  });

  it('is the latest attempt of each order', async () => {
    const result = await gql(ORDER_PAYMENTS, orderReps([orderId('bob-declined'), orderId('bob-paid')]), bob);
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities).toEqual([
      { id: orderId('bob-declined'), payment: { id: paymentId('bob-declined-retry'), status: 'PROCESSING' } },
      { id: orderId('bob-paid'), payment: { id: paymentId('bob-paid'), status: 'SUCCEEDED' } },
    ]);
  });

  it('is null for an order without payments', async () => {
    const result = await gql(ORDER_PAYMENTS, orderReps([orderId('alice-pending')]), alice);
    expect(result.errors).toBeUndefined();
    expect(result.data!._entities).toEqual([{ id: orderId('alice-pending'), payment: null }]);
  });

  it('is null for another user’s order, and visible to an admin', async () => {
    const reps = orderReps([orderId('alice-paid')]);
    const other = await gql(ORDER_PAYMENTS, reps, bob);
    expect(other.errors).toBeUndefined();
    expect(other.data!._entities).toEqual([{ id: orderId('alice-paid'), payment: null }]);
    const byAdmin = await gql(ORDER_PAYMENTS, reps, admin);
    expect(byAdmin.data!._entities).toEqual([
      { id: orderId('alice-paid'), payment: { id: paymentId('alice-paid'), status: 'SUCCEEDED' } },
    ]);
  });

  it('costs the same number of SQL statements for 3 orders as for 30', async () => {
    const orderIds = Array.from({ length: 30 }, () => randomUUID());
    const attempt = (id: string, index: number) => ({ orderId: id, userId: carol.id, amount: 100 + index, currency: 'EUR' });
    await db.insert(payments).values(
      orderIds.flatMap((id, index) => [
        { ...attempt(id, index), status: 'FAILED' as const, failureReason: 'card_declined', createdAt: new Date(Date.now() - 60_000) },
        { ...attempt(id, index), status: 'SUCCEEDED' as const },
      ]),
    );
    const metrics = url.replace('/graphql', '/metrics');
    const statementsFor = async (ids: string[]) => {
      const before = await readCounter(metrics, 'shopgraph_sql_statements_total');
      const result = await gql(ORDER_PAYMENTS, orderReps(ids), carol);
      expect(result.errors).toBeUndefined();
      expect(result.data!._entities.map((order: any) => order.payment.status)).toEqual(ids.map(() => 'SUCCEEDED'));
      return (await readCounter(metrics, 'shopgraph_sql_statements_total')) - before;
    };
    const forThree = await statementsFor(orderIds.slice(0, 3));
    expect(forThree).toBe(1);
    expect(await statementsFor(orderIds)).toBe(forThree);
  });
});

describe('seedPayments', () => {
  it('inserts nothing the second time and keeps what is there', async () => {
    const demoIds = demoPayments.map((payment) => payment.id);
    const countRows = async () => (await db.select({ total: count() }).from(payments))[0]!.total;
    const before = await countRows();
    await seedPayments(config, demoPayments, ordersToPay);
    expect(await countRows()).toBe(before);
    const demoRows = await db.select({ id: payments.id }).from(payments).where(inArray(payments.id, demoIds));
    expect(demoRows).toHaveLength(demoPayments.length);
    const latest = await gql(ORDER_PAYMENTS, orderReps([orderId('bob-declined')]), bob);
    expect(latest.data!._entities[0].payment.id).toBe(paymentId('bob-declined-retry'));
  });

  it('records what each demo order would be to payments: payable, paid, closed, or unknown', async () => {
    const rows = await db
      .select({ orderId: payableOrders.orderId, amount: payableOrders.amount, version: payableOrders.version, status: payableOrders.status })
      .from(payableOrders);
    const byKey = (key: string) => rows.find((row) => row.orderId === orderId(key));
    expect(byKey('alice-awaiting')).toEqual({ orderId: orderId('alice-awaiting'), amount: 6900, version: 1, status: 'AWAITING_PAYMENT' });
    expect(byKey('alice-paid')).toMatchObject({ amount: 4430, status: 'PAID' });
    expect(byKey('alice-expired')).toMatchObject({ status: 'CLOSED' });
    expect(byKey('carol-refunded')).toMatchObject({ status: 'CLOSED' });
    expect(byKey('alice-pending')).toBeUndefined();
    expect(byKey('alice-rejected')).toBeUndefined();
    expect(rows).toHaveLength(ordersToPay.filter((order) => !['PENDING', 'REJECTED'].includes(order.status)).length);
  });
});
