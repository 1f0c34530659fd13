import { markOrderPaid } from '@shopgraph/orders/checkout';
import { chargePayment, failStuckPayment } from '@shopgraph/payments/checkout';
import { jobIds, type ChargeOutcome, type PayloadOf } from '@shopgraph/queues';
import { continuingStep, done, next, saga, undo } from './saga.js';

type ChargeJob = PayloadOf<'payments', 'charge-payment'>;

/**
 * The money goes back when the order would not take it. Its stock is not this payment's to
 * touch (`restoreStock: false`); the refund saga runs in `refunds`, once per payment.
 */
const queueRefund = continuingStep({
  name: 'queue-refund',
  owner: 'queues',
  run: async ({ paymentId, charge }: { paymentId: string; charge: ChargeOutcome }, { enqueue }) => {
    await enqueue({
      queue: 'refunds',
      name: 'refund-payment',
      jobId: jobIds.refundPayment(paymentId),
      payload: { orderId: charge.orderId, restoreStock: false },
    });
    return next({});
  },
});

/**
 * When the charge-payment job failed for good: the payment must not hang in PROCESSING, where it
 * would block every later attempt on the order. The customer reads the provider's code; the
 * cause is in the dead letter. Its answer names the order when the payment was failed here, so
 * the order's subscribers see the failure (workers/src/processors/payments.ts).
 */
const chargeDeadLettered = saga<ChargeJob>('charge, dead-lettered')
  .step({
    name: 'fail-stuck-payment',
    owner: 'payments',
    run: async ({ paymentId }, { db }) => {
      const orderId = await failStuckPayment(db, { paymentId, reason: 'processing_error' });
      return done(orderId === null ? {} : { orderId });
    },
  })
  .build();

/**
 * `charge-payment {paymentId}`: payments charges through the provider (at most once per
 * payment: the payment id is the idempotency key) and, in the transaction that records it,
 * takes no other money for the order; orders takes the money, and the settler later lets the
 * reserved units go. Transient provider errors throw, so BullMQ retries with backoff.
 */
export const chargeSaga = saga<ChargeJob>('charge')
  .step({
    name: 'charge-payment',
    owner: 'payments',
    compensation: queueRefund,
    run: async ({ paymentId }, { db, provider, purgeOrder }) => {
      const charge = await chargePayment(db, provider, paymentId);
      if (charge.status !== 'SUCCEEDED') return done({ payment: charge.status, orderId: charge.orderId });
      // The order's cached payment goes now: the next step makes the order PAID, which a read of
      // the order (never cached) shows at once, with its payment from the cache. A charge that
      // ends here is purged with the job's event (workers/src/processors/payments.ts).
      await purgeOrder(charge.orderId);
      return next({ charge });
    },
  })
  .step({
    name: 'mark-order-paid',
    owner: 'orders',
    // NOT_PAYABLE: the order moved on while the charge ran (expired, cancelled, items changed,
    // or paid by another payment).
    run: async ({ paymentId, charge }, { db }) => {
      const order = await markOrderPaid(db, { orderId: charge.orderId, version: charge.orderVersion, paymentId });
      return order === 'PAID' ? next({ order }) : undo({ payment: charge.status, order, orderId: charge.orderId });
    },
  })
  .step({
    name: 'settle-reservation',
    owner: 'products',
    // Committing the held units changes no stock shown, so it waits to share a transaction with
    // other orders' (docs/checkout.md, "Settling by sweep"): nothing to purge, nothing to await.
    run: async ({ charge, order }, { settle }) => {
      settle(charge.orderId);
      return done({ payment: charge.status, order, orderId: charge.orderId });
    },
  })
  .build({ deadLettered: chargeDeadLettered });
