import type { CheckoutRecord } from '../load.js';
import type { Observed } from '../observed.js';
import { check } from './check.js';

/**
 * Each intent ends as the customer meant it (an order REJECTED for want of stock had no say).
 * A customer who acted only after the reservation ran out finds the order EXPIRED: that is
 * right too, as long as no charge of it stands. Returns how many customers acted too late so.
 */
export function checkIntentsFulfilled({ checkouts, state: { orders, payments } }: Observed): number {
  const known = checkouts.filter((c) => c.orderId);
  const orderById = new Map(orders.map((o) => [o.id, o]));
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
  return late;
}
