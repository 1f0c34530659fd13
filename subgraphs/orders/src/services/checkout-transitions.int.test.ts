import { randomUUID } from 'node:crypto';
import { createDb, createLogger, prepareSubgraphDatabase, type Db, type Viewer } from '@shopgraph/common';
import type { ReservationResult } from '@shopgraph/queues';
import { createTestDatabase, type TestDatabase } from '@shopgraph/testing';
import { asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext } from '../context.js';
import { orderItems, orderStatusHistory, orders, outbox } from '../db/schema.js';
import { migrationsFolder } from '../server.js';
import {
  applyReservationResult,
  dueExpiries,
  expireOrder,
  failOrder,
  markOrderPaid,
  orderForReservation,
  paidAmong,
} from './checkout-transitions.js';
import { cancelOrder, placeOrder, updateOrderItem } from './order-commands.js';

let database: TestDatabase;
let db: Db;
const logger = createLogger('test', 'silent');

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb({ url: database.url, subgraph: 'orders', logger, max: 20 });
  await prepareSubgraphDatabase(database.url, db, 'orders', migrationsFolder);
});

afterAll(async () => {
  await db?.$client.end();
  await database?.drop();
});

/** The services as a request of `viewer` would call them. */
const asUser = (viewer: Viewer) => createContext(db, { viewer, requestId: randomUUID(), logger });

async function newOrder(lines = [{ productId: randomUUID(), quantity: 2 }]) {
  const viewer: Viewer = { id: randomUUID(), role: 'CUSTOMER' };
  const order = await placeOrder(asUser(viewer), { items: lines }, null);
  return { viewer, orderId: order.id, lines };
}

type Line = { productId: string; quantity: number };

/** Reserved lines as products reports them, each unit at 250 of `currency`. */
const priced = (lines: Line[], currency = 'EUR') =>
  lines.map((line, i) => ({ ...line, name: `Product ${i}`, unitPrice: { amount: 250, currency } }));
const reservedLines = (lines: Line[]): ReservationResult => ({ ok: true, lines: priced(lines) });

const orderRow = async (orderId: string) => (await db.select().from(orders).where(eq(orders.id, orderId)))[0]!;
const itemsOf = (orderId: string) => db.select().from(orderItems).where(eq(orderItems.orderId, orderId)).orderBy(asc(orderItems.productId));
const transitionsOf = async (orderId: string) =>
  (await db.select().from(orderStatusHistory).where(eq(orderStatusHistory.orderId, orderId)).orderBy(asc(orderStatusHistory.id))).map(
    (row) => `${row.fromStatus ?? '∅'}→${row.toStatus}@${row.version}`,
  );

/** A placed order whose stock was reserved: AWAITING_PAYMENT at version 1. */
async function awaitingPayment() {
  const placed = await newOrder();
  await applyReservationResult(db, { orderId: placed.orderId, version: 1, result: reservedLines(placed.lines) });
  return placed;
}

describe('orderForReservation', () => {
  it('gives the items of the order at its version (whatever its status), and null for any other version', async () => {
    const a = randomUUID();
    const b = randomUUID();
    const { orderId, viewer } = await newOrder([
      { productId: a, quantity: 1 },
      { productId: b, quantity: 3 },
    ]);
    expect(await orderForReservation(db, { orderId, version: 1 })).toEqual({
      orderId,
      userId: viewer.id,
      version: 1,
      items: [
        { productId: a, quantity: 1 },
        { productId: b, quantity: 3 },
      ].sort((x, y) => (x.productId < y.productId ? -1 : 1)),
    });
    await updateOrderItem(asUser(viewer), { orderId, productId: a, quantity: 5 });
    expect(await orderForReservation(db, { orderId, version: 1 })).toBeNull();
    expect((await orderForReservation(db, { orderId, version: 2 }))?.items).toContainEqual({ productId: a, quantity: 5 });
    await cancelOrder(asUser(viewer), orderId);
    // A retried job must still reach the release of what it may have reserved.
    expect((await orderForReservation(db, { orderId, version: 2 }))?.items).toContainEqual({ productId: a, quantity: 5 });
    expect(await orderForReservation(db, { orderId: randomUUID(), version: 1 })).toBeNull();
  });

  it('never answers a version with the items of another while item changes commit', async () => {
    const a = randomUUID();
    const { orderId, viewer } = await newOrder([
      { productId: a, quantity: 1 },
      { productId: randomUUID(), quantity: 1 },
    ]);
    // Version v holds v units of `a`: each change below sets the quantity to its new version.
    const CHANGES = 30;
    let changing = true;
    const changes = (async () => {
      try {
        for (let quantity = 2; quantity <= CHANGES + 1; quantity++) await updateOrderItem(asUser(viewer), { orderId, productId: a, quantity });
      } finally {
        changing = false;
      }
    })();
    const answers: { version: number; quantity: number | undefined }[] = [];
    const reader = async () => {
      while (changing) {
        const { version } = await orderRow(orderId);
        // Asked for the version just read and the next, as a job queued for either would.
        for (const asked of [version, version + 1]) {
          const answer = await orderForReservation(db, { orderId, version: asked });
          if (answer) answers.push({ version: answer.version, quantity: answer.items.find((item) => item.productId === a)?.quantity });
        }
      }
    };
    await Promise.all([changes, reader(), reader(), reader()]);
    expect(answers.length).toBeGreaterThan(0);
    expect(answers.filter((answer) => answer.quantity !== answer.version)).toEqual([]);
    expect((await orderForReservation(db, { orderId, version: CHANGES + 1 }))?.items).toContainEqual({ productId: a, quantity: CHANGES + 1 });
  });
});

describe('applyReservationResult', () => {
  it('prices a PENDING order once, however often it is delivered', async () => {
    const { orderId, lines, viewer } = await newOrder([
      { productId: randomUUID(), quantity: 2 },
      { productId: randomUUID(), quantity: 1 },
    ]);
    const delivery = { orderId, version: 1, result: reservedLines(lines) };
    const expected = { orderId, userId: viewer.id, status: 'AWAITING_PAYMENT', version: 1, total: { amount: 750, currency: 'EUR' } };
    expect(await applyReservationResult(db, delivery)).toEqual(expected);
    expect(await Promise.all([applyReservationResult(db, delivery), applyReservationResult(db, delivery)])).toEqual([expected, expected]);

    expect(await transitionsOf(orderId)).toEqual(['∅→PENDING@1', 'PENDING→AWAITING_PAYMENT@1']);
    const items = await itemsOf(orderId);
    expect(items.map((item) => [item.productName, item.unitPriceAmount, item.unitPriceCurrency])).toEqual([
      [expect.stringMatching(/^Product/), 250, 'EUR'],
      [expect.stringMatching(/^Product/), 250, 'EUR'],
    ]);
    const row = await orderRow(orderId);
    expect(row.updatedAt.getTime()).toBeGreaterThanOrEqual(row.createdAt.getTime());
  });

  it('rejects with the reason once, however often it is delivered', async () => {
    const { orderId } = await newOrder();
    const delivery = { orderId, version: 1, result: { ok: false as const, reason: 'Not enough stock for Mug (MUG): 2 wanted, 1 available.' } };
    const [first, second] = [await applyReservationResult(db, delivery), await applyReservationResult(db, delivery)];
    expect(first).toMatchObject({ status: 'REJECTED', total: null });
    expect(second).toEqual(first);
    expect(await orderRow(orderId)).toMatchObject({ status: 'REJECTED', statusReason: delivery.result.reason });
    expect(await transitionsOf(orderId)).toEqual(['∅→PENDING@1', 'PENDING→REJECTED@1']);
  });

  it('rejects lines priced in different currencies: one order is one payment', async () => {
    const { orderId, lines } = await newOrder([
      { productId: randomUUID(), quantity: 1 },
      { productId: randomUUID(), quantity: 1 },
    ]);
    const result = { ok: true as const, lines: [...priced(lines.slice(0, 1)), ...priced(lines.slice(1), 'USD')] };
    expect(await applyReservationResult(db, { orderId, version: 1, result })).toMatchObject({ status: 'REJECTED' });
    expect((await orderRow(orderId)).statusReason).toMatch(/different currencies \(EUR, USD\)/);
  });

  it('ignores a stale version and answers with the order as it is now', async () => {
    const { orderId, lines, viewer } = await awaitingPayment();
    await updateOrderItem(asUser(viewer), { orderId, productId: lines[0]!.productId, quantity: 9 });
    const stale = await applyReservationResult(db, { orderId, version: 1, result: reservedLines(lines) });
    expect(stale).toMatchObject({ status: 'PENDING', version: 2, total: null });
    expect((await itemsOf(orderId))[0]).toMatchObject({ quantity: 9, productName: null, unitPriceAmount: null });
    expect(await transitionsOf(orderId)).toEqual(['∅→PENDING@1', 'PENDING→AWAITING_PAYMENT@1', 'AWAITING_PAYMENT→PENDING@2']);
  });

  it('refuses a reservation that does not match the items: a bug upstream, so it throws', async () => {
    const { orderId } = await newOrder();
    await expect(applyReservationResult(db, { orderId, version: 1, result: reservedLines([{ productId: randomUUID(), quantity: 2 }]) })).rejects.toThrow(
      /does not match its items/,
    );
    expect((await orderRow(orderId)).status).toBe('PENDING');
  });

  it('answers null for an unknown order', async () => {
    expect(await applyReservationResult(db, { orderId: randomUUID(), version: 1, result: { ok: false, reason: 'x' } })).toBeNull();
  });

  it('ends in one consistent state when it races cancelOrder, and says CANCELLED when the cancel won', async () => {
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        const { orderId, lines, viewer } = await newOrder();
        const [applied, cancelled] = await Promise.all([
          applyReservationResult(db, { orderId, version: 1, result: reservedLines(lines) }),
          cancelOrder(asUser(viewer), orderId),
        ]);
        expect(cancelled.status).toBe('CANCELLED');
        const history = await transitionsOf(orderId);
        if (applied!.status === 'CANCELLED') {
          // The cancel came first: the reservation was not applied, and the caller must release it.
          expect(history).toEqual(['∅→PENDING@1', 'PENDING→CANCELLED@1']);
          expect((await itemsOf(orderId))[0]!.productName).toBeNull();
          expect(applied!.total).toBeNull();
        } else {
          expect(applied!.status).toBe('AWAITING_PAYMENT');
          expect(history).toEqual(['∅→PENDING@1', 'PENDING→AWAITING_PAYMENT@1', 'AWAITING_PAYMENT→CANCELLED@1']);
        }
        expect((await orderRow(orderId)).status).toBe('CANCELLED');
        const jobs = await db.select().from(outbox).where(eq(outbox.jobId, `release-${orderId}`));
        expect(jobs).toHaveLength(1);
      }),
    );
  });
});

describe('markOrderPaid', () => {
  it('marks an AWAITING_PAYMENT order PAID once, and answers PAID again for the same payment', async () => {
    const { orderId } = await awaitingPayment();
    const paymentId = randomUUID();
    const results = await Promise.all([
      markOrderPaid(db, { orderId, version: 1, paymentId }),
      markOrderPaid(db, { orderId, version: 1, paymentId }),
    ]);
    expect(results).toEqual(['PAID', 'PAID']);
    expect(await markOrderPaid(db, { orderId, version: 1, paymentId })).toBe('PAID');
    expect(await orderRow(orderId)).toMatchObject({ status: 'PAID', paidByPaymentId: paymentId });
    expect(await transitionsOf(orderId)).toEqual(['∅→PENDING@1', 'PENDING→AWAITING_PAYMENT@1', 'AWAITING_PAYMENT→PAID@1']);
  });

  it('answers NOT_PAYABLE for a second payment, a stale version or an order that is not awaiting payment', async () => {
    const paid = await awaitingPayment();
    await markOrderPaid(db, { orderId: paid.orderId, version: 1, paymentId: randomUUID() });
    expect(await markOrderPaid(db, { orderId: paid.orderId, version: 1, paymentId: randomUUID() })).toBe('NOT_PAYABLE');

    const changed = await awaitingPayment();
    await updateOrderItem(asUser(changed.viewer), { orderId: changed.orderId, productId: changed.lines[0]!.productId, quantity: 1 });
    await applyReservationResult(db, { orderId: changed.orderId, version: 2, result: reservedLines([{ ...changed.lines[0]!, quantity: 1 }]) });
    expect(await markOrderPaid(db, { orderId: changed.orderId, version: 1, paymentId: randomUUID() })).toBe('NOT_PAYABLE');
    expect((await orderRow(changed.orderId)).status).toBe('AWAITING_PAYMENT');

    const pending = await newOrder();
    expect(await markOrderPaid(db, { orderId: pending.orderId, version: 1, paymentId: randomUUID() })).toBe('NOT_PAYABLE');
    expect(await markOrderPaid(db, { orderId: randomUUID(), version: 1, paymentId: randomUUID() })).toBe('NOT_PAYABLE');
    expect(await transitionsOf(pending.orderId)).toEqual(['∅→PENDING@1']);
  });
});

describe('paidAmong', () => {
  it('answers the PAID orders among those asked, and no other', async () => {
    const paid = await awaitingPayment();
    await markOrderPaid(db, { orderId: paid.orderId, version: 1, paymentId: randomUUID() });
    const awaiting = await awaitingPayment();
    const pending = await newOrder();

    expect(await paidAmong(db, [awaiting.orderId, paid.orderId, pending.orderId, randomUUID()])).toEqual([paid.orderId]);
    expect(await paidAmong(db, [])).toEqual([]);
  });
});

describe('dueExpiries', () => {
  const TTL_MS = 15 * 60_000;
  /** Moves the order's last status change `minutes` into the past. */
  const changedAgo = (orderId: string, minutes: number) =>
    db.update(orders).set({ updatedAt: sql`now() - make_interval(mins => ${minutes})` }).where(eq(orders.id, orderId));

  it('answers the orders awaiting payment longer than the reservation lasts, oldest first, and when the next one is due', async () => {
    // Far older than any other order of this file, which all changed status just now.
    const [oldest, older, paid, waiting] = [await awaitingPayment(), await awaitingPayment(), await awaitingPayment(), await awaitingPayment()];
    await markOrderPaid(db, { orderId: paid.orderId, version: 1, paymentId: randomUUID() });
    await changedAgo(oldest.orderId, 600);
    await changedAgo(older.orderId, 500);
    await changedAgo(paid.orderId, 700);
    await changedAgo(waiting.orderId, 400 - 5);
    const RESERVED_400_MIN = 400 * 60_000;

    const answer = await dueExpiries(db, { reservedForMs: RESERVED_400_MIN });
    expect(answer.due).toEqual([
      { orderId: oldest.orderId, version: 1 },
      { orderId: older.orderId, version: 1 },
    ]);
    // Due in five minutes, on the database clock.
    expect(answer.nextDueInMs).toBeGreaterThan(4 * 60_000);
    expect(answer.nextDueInMs).toBeLessThanOrEqual(5 * 60_000);

    expect(answer.more).toBeNull();
    // Every order read was due: the next read goes on after the last one.
    const first = await dueExpiries(db, { reservedForMs: RESERVED_400_MIN, limit: 1 });
    expect(first).toMatchObject({ due: [{ orderId: oldest.orderId, version: 1 }], nextDueInMs: null, more: { orderId: oldest.orderId } });
    const second = await dueExpiries(db, { reservedForMs: RESERVED_400_MIN, limit: 1, after: first.more! });
    expect(second).toMatchObject({ due: [{ orderId: older.orderId, version: 1 }], more: { orderId: older.orderId } });
    const third = await dueExpiries(db, { reservedForMs: RESERVED_400_MIN, limit: 1, after: second.more! });
    expect(third.due).toEqual([]);
    expect(third.more).toBeNull();
    expect(third.nextDueInMs).toBeGreaterThan(4 * 60_000);
    // None due: the wait for the oldest.
    const none = await dueExpiries(db, { reservedForMs: 1000 * 60_000 });
    expect(none.due).toEqual([]);
    expect(none.nextDueInMs).toBeGreaterThan(0);
    for (const { orderId } of [oldest, older, waiting]) await expireOrder(db, { orderId, version: 1 });
  });

  it('answers null for the next one when no order awaits payment', async () => {
    const awaiting = await db.select({ id: orders.id }).from(orders).where(eq(orders.status, 'AWAITING_PAYMENT'));
    for (const { id } of awaiting) await expireOrder(db, { orderId: id, version: (await orderRow(id)).version });
    expect(await dueExpiries(db, { reservedForMs: TTL_MS })).toEqual({ due: [], nextDueInMs: null, more: null });
    const { orderId } = await awaitingPayment();
    expect((await dueExpiries(db, { reservedForMs: TTL_MS })).nextDueInMs).toBeGreaterThan(TTL_MS - 60_000);
    await expireOrder(db, { orderId, version: 1 });
  });
});

describe('expireOrder', () => {
  it('expires an AWAITING_PAYMENT order once and keeps answering true for that version', async () => {
    const { orderId } = await awaitingPayment();
    const delivery = { orderId, version: 1, reservedForMs: 15 * 60_000 };
    expect(await Promise.all([expireOrder(db, delivery), expireOrder(db, delivery)])).toEqual([true, true]);
    expect(await orderRow(orderId)).toMatchObject({
      status: 'EXPIRED',
      statusReason: 'Not paid within 15 minutes: the reservation ran out.',
    });
    expect(await transitionsOf(orderId)).toEqual(['∅→PENDING@1', 'PENDING→AWAITING_PAYMENT@1', 'AWAITING_PAYMENT→EXPIRED@1']);
  });

  it('leaves a stale version, a PAID order and a PENDING order alone', async () => {
    const changed = await awaitingPayment();
    await updateOrderItem(asUser(changed.viewer), { orderId: changed.orderId, productId: randomUUID(), quantity: 1 });
    expect(await expireOrder(db, { orderId: changed.orderId, version: 1 })).toBe(false);
    expect((await orderRow(changed.orderId)).status).toBe('PENDING');

    const paid = await awaitingPayment();
    await markOrderPaid(db, { orderId: paid.orderId, version: 1, paymentId: randomUUID() });
    expect(await expireOrder(db, { orderId: paid.orderId, version: 1 })).toBe(false);
    expect((await orderRow(paid.orderId)).status).toBe('PAID');

    const pending = await newOrder();
    expect(await expireOrder(db, { orderId: pending.orderId, version: 1 })).toBe(false);
    expect(await transitionsOf(pending.orderId)).toEqual(['∅→PENDING@1']);
  });

  it('words the reason without a lifetime when none is given', async () => {
    const { orderId } = await awaitingPayment();
    expect(await expireOrder(db, { orderId, version: 1 })).toBe(true);
    expect((await orderRow(orderId)).statusReason).toBe('Not paid in time: the reservation ran out.');
  });
});

describe('failOrder', () => {
  it('rejects a PENDING order with the reason once and keeps answering true', async () => {
    const { orderId } = await newOrder();
    const reason = 'Stock could not be reserved: the reservation job failed 5 times.';
    expect(await failOrder(db, { orderId, reason })).toBe(true);
    expect(await failOrder(db, { orderId, reason })).toBe(true);
    expect(await orderRow(orderId)).toMatchObject({ status: 'REJECTED', statusReason: reason });
    expect(await transitionsOf(orderId)).toEqual(['∅→PENDING@1', 'PENDING→REJECTED@1']);
  });

  it('leaves an order that moved on alone', async () => {
    const { orderId } = await awaitingPayment();
    expect(await failOrder(db, { orderId, reason: 'too late' })).toBe(false);
    expect((await orderRow(orderId)).status).toBe('AWAITING_PAYMENT');
    expect(await failOrder(db, { orderId: randomUUID(), reason: 'nothing' })).toBe(false);
  });
});
