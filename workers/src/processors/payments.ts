import { markOrderPaid } from '@shopgraph/orders/checkout';
import type { PaymentProvider } from '@shopgraph/payment-provider';
import { chargePayment, failStuckPayment, markPayableOrderPaid } from '@shopgraph/payments/checkout';
import { commitReservation } from '@shopgraph/products/inventory';
import { jobIds } from '@shopgraph/queues';
import type { QueueWiring, WorkerContext } from '../server.js';

/**
 * `payments` (docs/checkout.md, "Processors"): payments charges through the provider (at most
 * once per payment: the payment id is the idempotency key), orders takes the money, products
 * lets the reserved units go. Transient provider errors throw, so BullMQ retries with backoff.
 */
export function paymentProcessors(ctx: WorkerContext, provider: PaymentProvider): QueueWiring<'payments'> {
  const orders = ctx.db('orders');
  const products = ctx.db('products');
  const payments = ctx.db('payments');

  return {
    processors: {
      'charge-payment': async ({ paymentId }) => {
        const charge = await chargePayment(payments, provider, paymentId);
        if (charge.status !== 'SUCCEEDED') return { payment: charge.status };
        const order = await markOrderPaid(orders, { orderId: charge.orderId, version: charge.orderVersion, paymentId });
        if (order === 'PAID') {
          await commitReservation(products, charge.orderId);
          await markPayableOrderPaid(payments, charge.orderId);
        } else {
          // The order moved on while the charge ran (expired, cancelled, items changed): the
          // money goes back. Its stock is not this payment's to touch.
          await ctx.enqueue({
            queue: 'refunds',
            name: 'refund-payment',
            jobId: jobIds.refundPayment(paymentId),
            payload: { orderId: charge.orderId, restoreStock: false },
          });
        }
        return { payment: charge.status, order };
      },
    },

    onExhausted: {
      // The payment must not hang in PROCESSING: it would block every later attempt on the
      // order. The customer reads the provider's code; the cause is in the dead letter.
      'charge-payment': async ({ paymentId }) => {
        await failStuckPayment(payments, { paymentId, reason: 'processing_error' });
      },
    },
  };
}
