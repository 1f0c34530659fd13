import { ordersIn, paymentsIn, type Charge } from '../final-state.js';
import type { Observed } from '../observed.js';
import { check } from './check.js';

/** The provider's ledger against the payments, refunded charges counted too: no order charged twice, every charge matching its payment, and the provider charging again after its restart. */
export function checkProviderLedger({ state, outage }: Observed): void {
  const { payments, charges } = state;
  const paymentById = new Map(payments.map((p) => [p.id, p]));
  const chargesPerOrder = new Map<string, Charge[]>();
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
    [...paymentsIn(state, 'SUCCEEDED'), ...paymentsIn(state, 'REFUNDED')].every((p) => charges.some((charge) => charge.idempotency_key === p.id)),
    'every SUCCEEDED or REFUNDED payment has its charge at the provider',
  );
  check(
    ordersIn(state, 'PAID').every((o) => chargesPerOrder.get(o.id)?.filter((charge) => !charge.refunded).length === 1),
    `exactly one standing charge per PAID order (${ordersIn(state, 'PAID').length})`,
  );
  const chargedAfterRestart = charges.filter((charge) => Date.parse(charge.created) >= outage.providerBackAt).length;
  check(chargedAfterRestart > 0, `the payment provider came back: ${chargedAfterRestart} charges after its restart`);
}
