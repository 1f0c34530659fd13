import type { Observed } from '../observed.js';
import { check } from './check.js';

/** Every order a customer was told about exists, and there is one order per idempotency key, none the customers did not ask for. */
export function checkOrdersAsAsked({ checkouts, state: { orders } }: Observed): void {
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
}
