import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { AT_LEAST, DRAIN_TIMEOUT_MS, EXPIRY_TIMEOUT_MS } from './settings.js';

/** A `select count(*)::int as n …` query's count. */
const count = async (sql: pg.Client, query: string) => (await sql.query<{ n: number }>(query)).rows[0]!.n;

/** Abandoned orders expire RESERVATION_TTL_MS after their reservation: waits (the load going on) until enough have, or EXPIRY_TIMEOUT_MS. */
export async function waitForExpiredOrders(sql: pg.Client): Promise<void> {
  const expiryStartedAt = Date.now();
  while (Date.now() - expiryStartedAt < EXPIRY_TIMEOUT_MS) {
    const expired = await count(sql, `select count(*)::int as n from orders.orders where status = 'EXPIRED'`);
    if (expired >= AT_LEAST.expired) break;
    await sleep(500);
  }
}

/** What is still to settle, by what it is: each should be 0. */
export type Unsettled = Record<string, number>;

/** What is left to settle now: orders PENDING, payments PROCESSING, refunds, releases and restocks still due. */
const unsettledNow = async (sql: pg.Client): Promise<Unsettled> => ({
  'orders PENDING': await count(sql, `select count(*)::int as n from orders.orders where status = 'PENDING'`),
  'payments PROCESSING': await count(sql, `select count(*)::int as n from payments.payments where status = 'PROCESSING'`),
  'payments SUCCEEDED for an order not PAID (a refund due)': await count(
    sql,
    `select count(*)::int as n from payments.payments p join orders.orders o on o.id = p.order_id where p.status = 'SUCCEEDED' and o.status <> 'PAID'`,
  ),
  'stock HELD for an order no longer awaiting payment (a release or commit due)': await count(
    sql,
    `select count(*)::int as n from products.stock_reservations r join orders.orders o on o.id = r.order_id where r.status = 'HELD' and o.status <> 'AWAITING_PAYMENT'`,
  ),
  'stock COMMITTED for a CANCELLED order (a restock due)': await count(
    sql,
    `select count(*)::int as n from products.stock_reservations r join orders.orders o on o.id = r.order_id where r.status = 'COMMITTED' and o.status = 'CANCELLED'`,
  ),
});

/** Waits, once the load has stopped, until everything the customers started has settled or DRAIN_TIMEOUT_MS passes: what is left, and how long it took. */
export async function waitUntilSettled(sql: pg.Client): Promise<{ unsettled: Unsettled; drainMs: number }> {
  const drainStartedAt = Date.now();
  let unsettled = await unsettledNow(sql);
  while (Object.values(unsettled).some((n) => n > 0) && Date.now() - drainStartedAt < DRAIN_TIMEOUT_MS) {
    await sleep(500);
    unsettled = await unsettledNow(sql);
  }
  return { unsettled, drainMs: Date.now() - drainStartedAt };
}
