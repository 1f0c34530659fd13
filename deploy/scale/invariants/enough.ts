import { ordersIn, paymentsIn } from '../final-state.js';
import type { Observed } from '../observed.js';
import { AT_LEAST } from '../settings.js';
import { check } from './check.js';

/** How much of each outcome the run produced, by the names AT_LEAST gives them. */
export type Outcomes = Record<keyof typeof AT_LEAST, number>;

/** Counts the outcomes and checks the run produced at least AT_LEAST of each, so that no other check holds on an empty set. */
export function checkTheRunDidEnough({ state, checkouts, outage }: Observed): Outcomes {
  const refundedOrders = new Set(paymentsIn(state, 'REFUNDED').map((p) => p.order_id));
  const cancelledUnpaid = ordersIn(state, 'CANCELLED').filter((o) => !state.payments.some((p) => p.order_id === o.id));
  const outcomes: Outcomes = {
    checkouts: checkouts.length,
    paid: ordersIn(state, 'PAID').length,
    cancelledUnpaid: cancelledUnpaid.length,
    refunded: refundedOrders.size,
    expired: ordersIn(state, 'EXPIRED').length,
    chargesInFlightAtKill: outage.processingAtKill.length,
  };
  check(
    (Object.keys(AT_LEAST) as (keyof typeof AT_LEAST)[]).every((what) => outcomes[what] >= AT_LEAST[what]),
    `the run did enough to prove something: ${Object.entries(AT_LEAST).map(([what, least]) => `${outcomes[what as keyof typeof AT_LEAST]} ${what} (≥ ${least})`).join(', ')}`,
  );
  return outcomes;
}
