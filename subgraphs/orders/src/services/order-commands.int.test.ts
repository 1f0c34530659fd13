import { randomUUID } from 'node:crypto';
import { createDb, createLogger, stableId, type Db, type Viewer } from '@shopgraph/common';
import type { RunningServer } from '@shopgraph/common/subgraph';
import { createTestDatabase, subgraphRequest, testEnv, type TestDatabase } from '@shopgraph/testing';
import { asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { orderStatusHistory, orders, outbox } from '../db/schema.js';
import { loadConfig } from '../env.js';
import { createOrdersServer } from '../server.js';
import { applyReservationResult, expireOrder, markOrderPaid } from './checkout-transitions.js';

const customer = (): Viewer => ({ id: randomUUID(), role: 'CUSTOMER' });
const admin: Viewer = { id: stableId('user:test-admin'), role: 'ADMIN' };

const ORDER_FIELDS = `id status statusReason createdAt updatedAt total { amount currency } user { id }
  items { quantity productName unitPrice { amount currency } product { id } }`;
const PLACE = `mutation($input: PlaceOrderInput!, $key: String) { placeOrder(input: $input, idempotencyKey: $key) { ${ORDER_FIELDS} } }`;
const UPDATE = `mutation($orderId: ID!, $productId: ID!, $quantity: Int!) {
  updateOrderItem(orderId: $orderId, productId: $productId, quantity: $quantity) { ${ORDER_FIELDS} } }`;
const CANCEL = `mutation($id: ID!) { cancelOrder(id: $id) { ${ORDER_FIELDS} } }`;

let database: TestDatabase;
let server: RunningServer;
let url: string;
let db: Db;

const gql = (query: string, variables: Record<string, unknown>, viewer: Viewer | null) =>
  subgraphRequest({ url, name: 'orders' }, query, variables, viewer);

const codeOf = (result: Awaited<ReturnType<typeof gql>>) => result.errors?.[0]?.extensions?.code;

async function place(viewer: Viewer, items: { productId: string; quantity: number }[], key?: string) {
  const result = await gql(PLACE, { input: { items }, key }, viewer);
  expect(result.errors).toBeUndefined();
  return result.data!.placeOrder;
}

const outboxOf = (orderId: string) =>
  db.select().from(outbox).where(sql`${outbox.payload}->>'orderId' = ${orderId}`).orderBy(asc(outbox.id));
const historyOf = (orderId: string) =>
  db.select().from(orderStatusHistory).where(eq(orderStatusHistory.orderId, orderId)).orderBy(asc(orderStatusHistory.id));
const versionOf = async (orderId: string) =>
  (await db.select({ version: orders.version }).from(orders).where(eq(orders.id, orderId)))[0]!.version;

/** Products' answer for the order's current items, each unit at `amount` EUR. */
async function reserved(orderId: string, amount = 500) {
  const version = await versionOf(orderId);
  const { rows } = await db.$client.query<{ product_id: string; quantity: number }>(
    'select product_id, quantity from order_items where order_id = $1',
    [orderId],
  );
  const lines = rows.map((row) => ({
    productId: row.product_id,
    quantity: row.quantity,
    name: `Product ${row.product_id.slice(0, 4)}`,
    unitPrice: { amount, currency: 'EUR' },
  }));
  return { orderId, version, result: { ok: true as const, lines } };
}

/** An order of `viewer` moved by the worker steps into `status`. */
async function orderIn(status: 'AWAITING_PAYMENT' | 'PAID' | 'REJECTED' | 'EXPIRED', viewer: Viewer) {
  const order = await place(viewer, [{ productId: randomUUID(), quantity: 1 }]);
  if (status === 'REJECTED') {
    await applyReservationResult(db, { orderId: order.id, version: 1, result: { ok: false, reason: 'Not enough stock for X.' } });
    return order.id as string;
  }
  await applyReservationResult(db, await reserved(order.id));
  if (status === 'PAID') await markOrderPaid(db, { orderId: order.id, version: 1, paymentId: randomUUID() });
  if (status === 'EXPIRED') await expireOrder(db, { orderId: order.id, version: 1 });
  return order.id as string;
}

beforeAll(async () => {
  database = await createTestDatabase();
  server = await createOrdersServer(loadConfig(testEnv(database.url)));
  url = await server.listen(0, '127.0.0.1');
  db = createDb({ url: database.url, subgraph: 'orders', logger: createLogger('test', 'silent'), max: 5 });
});

afterAll(async () => {
  await server?.close();
  await db?.$client.end();
  await database?.drop();
});

describe('placeOrder', () => {
  it('returns a PENDING order with its items and queues its reservation in the same transaction', async () => {
    const viewer = customer();
    const [a, b] = [randomUUID(), randomUUID()];
    const order = await place(viewer, [
      { productId: a, quantity: 2 },
      { productId: b, quantity: 1 },
    ]);
    expect(order).toMatchObject({ status: 'PENDING', statusReason: null, total: null, user: { id: viewer.id } });
    expect(order.items).toHaveLength(2);
    expect(order.items).toEqual(
      expect.arrayContaining([
        { quantity: 2, productName: null, unitPrice: null, product: { id: a } },
        { quantity: 1, productName: null, unitPrice: null, product: { id: b } },
      ]),
    );

    const jobs = await outboxOf(order.id);
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({
      queue: 'reservations',
      jobName: 'reserve-stock',
      jobId: `reserve-${order.id}-1`,
      payload: { orderId: order.id, version: 1 },
      sentAt: null,
    });
    expect(await historyOf(order.id)).toMatchObject([{ fromStatus: null, toStatus: 'PENDING', version: 1 }]);
  });

  it('never leaves an order without its job: a failing outbox insert rolls the order back', async () => {
    const viewer = customer();
    await db.$client.query(`create function refuse_outbox() returns trigger language plpgsql as
      $$ begin raise exception 'outbox refused by the test'; end $$`);
    await db.$client.query('create trigger refuse_outbox before insert on outbox for each row execute function refuse_outbox()');
    try {
      const result = await gql(PLACE, { input: { items: [{ productId: randomUUID(), quantity: 1 }] } }, viewer);
      expect(codeOf(result)).toBe('INTERNAL_SERVER_ERROR');
    } finally {
      await db.$client.query('drop trigger refuse_outbox on outbox');
      await db.$client.query('drop function refuse_outbox()');
    }
    expect(await db.select().from(orders).where(eq(orders.userId, viewer.id))).toEqual([]);
  });

  it('merges lines that name the same product', async () => {
    const productId = randomUUID();
    const order = await place(customer(), [
      { productId, quantity: 2 },
      { productId: productId.toUpperCase(), quantity: 3 },
    ]);
    expect(order.items).toEqual([{ quantity: 5, productName: null, unitPrice: null, product: { id: productId } }]);
  });

  it('answers 20 parallel calls with the same key with one order and one job', async () => {
    const viewer = customer();
    const items = [{ productId: randomUUID(), quantity: 3 }];
    const results = await Promise.all(Array.from({ length: 20 }, () => gql(PLACE, { input: { items }, key: 'checkout-1' }, viewer)));
    expect(results.flatMap((result) => result.errors ?? [])).toEqual([]);
    const ids = new Set(results.map((result) => result.data!.placeOrder.id));
    expect(ids.size).toBe(1);
    const [orderId] = [...ids] as [string];
    expect(await db.select({ id: orders.id }).from(orders).where(eq(orders.userId, viewer.id))).toEqual([{ id: orderId }]);
    expect(await outboxOf(orderId)).toHaveLength(1);
    expect(await historyOf(orderId)).toHaveLength(1);
  });

  it('returns the same order for the same key and items, in any line order, even after an item change', async () => {
    const viewer = customer();
    const [a, b] = [randomUUID(), randomUUID()];
    const first = await place(viewer, [{ productId: a, quantity: 1 }, { productId: b, quantity: 2 }], 'same-key');
    const again = await place(viewer, [{ productId: b, quantity: 2 }, { productId: a, quantity: 1 }], 'same-key');
    expect(again.id).toBe(first.id);
    await gql(UPDATE, { orderId: first.id, productId: a, quantity: 4 }, viewer);
    const afterChange = await place(viewer, [{ productId: a, quantity: 1 }, { productId: b, quantity: 2 }], 'same-key');
    expect(afterChange.id).toBe(first.id);
    expect(afterChange.items).toEqual(expect.arrayContaining([expect.objectContaining({ quantity: 4, product: { id: a } })]));
  });

  it('refuses the same key with other items with CONFLICT, and keeps keys apart per user', async () => {
    const viewer = customer();
    const productId = randomUUID();
    const first = await place(viewer, [{ productId, quantity: 1 }], 'key-1');
    const other = await gql(PLACE, { input: { items: [{ productId, quantity: 2 }] }, key: 'key-1' }, viewer);
    expect(codeOf(other)).toBe('CONFLICT');
    expect(other.errors![0]!.extensions?.field).toBe('idempotencyKey');
    const someoneElse = await place(customer(), [{ productId, quantity: 2 }], 'key-1');
    expect(someoneElse.id).not.toBe(first.id);
  });

  it('refuses malformed input with BAD_USER_INPUT and stores nothing', async () => {
    const viewer = customer();
    const line = (quantity: number, productId: string = randomUUID()) => ({ productId, quantity });
    const productId = randomUUID();
    const cases: [unknown[], string | undefined][] = [
      [[], undefined],
      [[line(0)], undefined],
      [[line(-1)], undefined],
      [[line(1001)], undefined],
      [[line(1, 'not-a-uuid')], undefined],
      [[line(600, productId), line(600, productId)], undefined],
      [Array.from({ length: 51 }, () => line(1)), undefined],
      [[line(1)], ''],
      [[line(1)], 'k'.repeat(101)],
      [[line(1)], 'line\nbreak'],
    ];
    for (const [items, key] of cases) {
      const result = await gql(PLACE, { input: { items }, key }, viewer);
      expect(codeOf(result), JSON.stringify({ items: items.length, key })).toBe('BAD_USER_INPUT');
    }
    expect(await db.select().from(orders).where(eq(orders.userId, viewer.id))).toEqual([]);
    // The limits themselves are accepted.
    const longest = await place(viewer, Array.from({ length: 50 }, () => line(1000)), 'k'.repeat(100));
    expect(longest.items).toHaveLength(50);
  });

  it('asks anonymous callers to sign in', async () => {
    const result = await gql(PLACE, { input: { items: [{ productId: randomUUID(), quantity: 1 }] } }, null);
    expect(codeOf(result)).toBe('UNAUTHENTICATED');
  });
});

describe('updateOrderItem', () => {
  it('sends an AWAITING_PAYMENT order back to PENDING at a new version, unpriced, and queues its reservation', async () => {
    const viewer = customer();
    const orderId = await orderIn('AWAITING_PAYMENT', viewer);
    // Last changed a second ago, so the update's updatedAt is later whatever the clock's resolution.
    await db.update(orders).set({ updatedAt: sql`updated_at - interval '1 second'` }).where(eq(orders.id, orderId));
    const before = (await gql(`query($id: ID!) { order(id: $id) { ${ORDER_FIELDS} } }`, { id: orderId }, viewer)).data!.order;
    expect(before).toMatchObject({ status: 'AWAITING_PAYMENT', total: { amount: 500, currency: 'EUR' } });

    const added = randomUUID();
    const result = await gql(UPDATE, { orderId, productId: added, quantity: 2 }, viewer);
    expect(result.errors).toBeUndefined();
    const updated = result.data!.updateOrderItem;
    expect(updated).toMatchObject({ status: 'PENDING', total: null, statusReason: null });
    expect(updated.items).toHaveLength(2);
    expect(updated.items.every((item: { productName: unknown; unitPrice: unknown }) => item.productName === null && item.unitPrice === null)).toBe(true);
    expect(new Date(updated.updatedAt).getTime()).toBeGreaterThan(new Date(before.updatedAt).getTime());

    expect(await versionOf(orderId)).toBe(2);
    expect((await outboxOf(orderId)).map((job) => [job.jobId, job.payload])).toEqual([
      [`reserve-${orderId}-1`, { orderId, version: 1 }],
      [`reserve-${orderId}-2`, { orderId, version: 2 }],
    ]);
    expect((await historyOf(orderId)).map((row) => [row.fromStatus, row.toStatus, row.version])).toEqual([
      [null, 'PENDING', 1],
      ['PENDING', 'AWAITING_PAYMENT', 1],
      ['AWAITING_PAYMENT', 'PENDING', 2],
    ]);
  });

  it('changes a quantity, removes a line with 0, and changes nothing when the quantity is the same', async () => {
    const viewer = customer();
    const [a, b] = [randomUUID(), randomUUID()];
    const order = await place(viewer, [{ productId: a, quantity: 1 }, { productId: b, quantity: 1 }]);

    const changed = await gql(UPDATE, { orderId: order.id, productId: a, quantity: 7 }, viewer);
    expect(changed.data!.updateOrderItem.items).toEqual(expect.arrayContaining([expect.objectContaining({ quantity: 7, product: { id: a } })]));
    const removed = await gql(UPDATE, { orderId: order.id, productId: b, quantity: 0 }, viewer);
    expect(removed.data!.updateOrderItem.items).toEqual([expect.objectContaining({ quantity: 7, product: { id: a } })]);
    expect(await versionOf(order.id)).toBe(3);

    const same = await gql(UPDATE, { orderId: order.id, productId: a, quantity: 7 }, viewer);
    const absent = await gql(UPDATE, { orderId: order.id, productId: b, quantity: 0 }, viewer);
    expect([same.errors, absent.errors]).toEqual([undefined, undefined]);
    expect(await versionOf(order.id)).toBe(3);
    expect(await outboxOf(order.id)).toHaveLength(3);
  });

  it('gives each of 10 parallel changes a version of its own, each with its reservation job', async () => {
    const viewer = customer();
    const productId = randomUUID();
    const order = await place(viewer, [{ productId, quantity: 1 }]);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => gql(UPDATE, { orderId: order.id, productId, quantity: i + 2 }, viewer)),
    );
    expect(results.flatMap((result) => result.errors ?? [])).toEqual([]);
    expect(await versionOf(order.id)).toBe(11);
    const versions = Array.from({ length: 11 }, (_, i) => i + 1);
    expect((await outboxOf(order.id)).map((job) => job.jobId).sort()).toEqual(versions.map((v) => `reserve-${order.id}-${v}`).sort());
    expect((await historyOf(order.id)).map((row) => row.version)).toEqual(versions);
  });

  it('refuses to remove the last line (cancel the order instead) with BAD_USER_INPUT', async () => {
    const viewer = customer();
    const productId = randomUUID();
    const order = await place(viewer, [{ productId, quantity: 1 }]);
    const result = await gql(UPDATE, { orderId: order.id, productId, quantity: 0 }, viewer);
    expect(codeOf(result)).toBe('BAD_USER_INPUT');
    expect(result.errors![0]!.message).toMatch(/at least one item/);
    expect(await versionOf(order.id)).toBe(1);
  });

  it('refuses a 51st line with BAD_USER_INPUT', async () => {
    const viewer = customer();
    const order = await place(viewer, Array.from({ length: 50 }, () => ({ productId: randomUUID(), quantity: 1 })));
    const result = await gql(UPDATE, { orderId: order.id, productId: randomUUID(), quantity: 1 }, viewer);
    expect(codeOf(result)).toBe('BAD_USER_INPUT');
  });

  it('refuses malformed input with BAD_USER_INPUT', async () => {
    const viewer = customer();
    const productId = randomUUID();
    const order = await place(viewer, [{ productId, quantity: 1 }]);
    for (const args of [
      { orderId: 'nope', productId, quantity: 1 },
      { orderId: order.id, productId: '42', quantity: 1 },
      { orderId: order.id, productId, quantity: -1 },
      { orderId: order.id, productId, quantity: 1001 },
    ]) {
      expect(codeOf(await gql(UPDATE, args, viewer)), JSON.stringify(args)).toBe('BAD_USER_INPUT');
    }
  });

  it("answers another customer's order like a missing one, lets an admin change it, and asks anonymous callers to sign in", async () => {
    const owner = customer();
    const productId = randomUUID();
    const order = await place(owner, [{ productId, quantity: 1 }]);
    const foreign = await gql(UPDATE, { orderId: order.id, productId, quantity: 2 }, customer());
    const missing = await gql(UPDATE, { orderId: randomUUID(), productId, quantity: 2 }, owner);
    expect([codeOf(foreign), codeOf(missing)]).toEqual(['NOT_FOUND', 'NOT_FOUND']);
    expect(codeOf(await gql(UPDATE, { orderId: order.id, productId, quantity: 2 }, null))).toBe('UNAUTHENTICATED');
    expect(await versionOf(order.id)).toBe(1);
    const byAdmin = await gql(UPDATE, { orderId: order.id, productId, quantity: 2 }, admin);
    expect(byAdmin.data!.updateOrderItem.items[0].quantity).toBe(2);
  });

  it('refuses to change a PAID, CANCELLED, REJECTED or EXPIRED order with CONFLICT', async () => {
    const viewer = customer();
    const cancelled = await place(viewer, [{ productId: randomUUID(), quantity: 1 }]);
    await gql(CANCEL, { id: cancelled.id }, viewer);
    const orderIds = [
      await orderIn('PAID', viewer),
      cancelled.id as string,
      await orderIn('REJECTED', viewer),
      await orderIn('EXPIRED', viewer),
    ];
    for (const orderId of orderIds) {
      const result = await gql(UPDATE, { orderId, productId: randomUUID(), quantity: 1 }, viewer);
      expect(codeOf(result)).toBe('CONFLICT');
    }
  });
});

describe('cancelOrder', () => {
  it('cancels a PENDING or AWAITING_PAYMENT order and queues the release of its stock', async () => {
    const viewer = customer();
    const pending = await place(viewer, [{ productId: randomUUID(), quantity: 1 }]);
    const awaiting = await orderIn('AWAITING_PAYMENT', viewer);
    for (const orderId of [pending.id as string, awaiting]) {
      const result = await gql(CANCEL, { id: orderId }, viewer);
      expect(result.errors).toBeUndefined();
      expect(result.data!.cancelOrder).toMatchObject({ id: orderId, status: 'CANCELLED', statusReason: null });
      const jobs = await outboxOf(orderId);
      expect(jobs.at(-1)).toMatchObject({
        queue: 'reservations',
        jobName: 'release-stock',
        jobId: `release-${orderId}`,
        payload: { orderId, reason: 'Cancelled by the customer.' },
      });
      expect((await historyOf(orderId)).at(-1)).toMatchObject({ toStatus: 'CANCELLED', reason: 'Cancelled by the customer.' });
    }
  });

  it('cancels a PAID order and queues its refund with the stock restored', async () => {
    const viewer = customer();
    const orderId = await orderIn('PAID', viewer);
    const result = await gql(CANCEL, { id: orderId }, admin);
    expect(result.data!.cancelOrder.status).toBe('CANCELLED');
    expect((await outboxOf(orderId)).at(-1)).toMatchObject({
      queue: 'refunds',
      jobName: 'refund-payment',
      jobId: `refund-order-${orderId}`,
      payload: { orderId, restoreStock: true },
    });
    expect((await historyOf(orderId)).at(-1)).toMatchObject({ fromStatus: 'PAID', toStatus: 'CANCELLED', reason: 'Cancelled by an admin.' });
  });

  it('refuses to cancel a CANCELLED, REJECTED or EXPIRED order with CONFLICT', async () => {
    const viewer = customer();
    const cancelled = await place(viewer, [{ productId: randomUUID(), quantity: 1 }]);
    await gql(CANCEL, { id: cancelled.id }, viewer);
    const finished = {
      CANCELLED: cancelled.id as string,
      REJECTED: await orderIn('REJECTED', viewer),
      EXPIRED: await orderIn('EXPIRED', viewer),
    };
    for (const [status, orderId] of Object.entries(finished)) {
      const result = await gql(CANCEL, { id: orderId }, viewer);
      expect(codeOf(result)).toBe('CONFLICT');
      expect(result.errors![0]!.extensions?.status).toBe(status);
      expect((await historyOf(orderId)).filter((row) => row.toStatus === 'CANCELLED')).toHaveLength(status === 'CANCELLED' ? 1 : 0);
    }
  });

  it('lets exactly one of 10 parallel cancels win; the rest are CONFLICT', async () => {
    const viewer = customer();
    const orderId = await orderIn('AWAITING_PAYMENT', viewer);
    const results = await Promise.all(Array.from({ length: 10 }, () => gql(CANCEL, { id: orderId }, viewer)));
    expect(results.filter((result) => result.data?.cancelOrder?.status === 'CANCELLED')).toHaveLength(1);
    expect(results.filter((result) => codeOf(result) === 'CONFLICT')).toHaveLength(9);
    expect((await historyOf(orderId)).filter((row) => row.toStatus === 'CANCELLED')).toHaveLength(1);
    expect((await outboxOf(orderId)).filter((job) => job.jobName === 'release-stock')).toHaveLength(1);
  });

  it('answers malformed, foreign and anonymous requests with BAD_USER_INPUT, NOT_FOUND and UNAUTHENTICATED', async () => {
    const order = await place(customer(), [{ productId: randomUUID(), quantity: 1 }]);
    expect(codeOf(await gql(CANCEL, { id: 'x' }, customer()))).toBe('BAD_USER_INPUT');
    expect(codeOf(await gql(CANCEL, { id: order.id }, customer()))).toBe('NOT_FOUND');
    expect(codeOf(await gql(CANCEL, { id: order.id }, null))).toBe('UNAUTHENTICATED');
    expect((await historyOf(order.id)).map((row) => row.toStatus)).toEqual(['PENDING']);
  });
});
