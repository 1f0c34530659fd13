import type { PaymentProvider } from '@shopgraph/payment-provider';
import { closePayableOrder, refundOrderPayment } from '@shopgraph/payments/checkout';
import { restoreStock } from '@shopgraph/products/inventory';
import type { QueueWiring, WorkerContext } from '../server.js';

/**
 * `refunds` (docs/checkout.md, "Processors"): the order's captured payment goes back through the
 * provider (once: `refund-<paymentId>` is the idempotency key), then its units back on hand.
 */
export function refundProcessors(ctx: WorkerContext, provider: PaymentProvider): QueueWiring<'refunds'> {
  const products = ctx.db('products');
  const payments = ctx.db('payments');

  return {
    processors: {
      'refund-payment': async ({ orderId, restoreStock: restore }) => {
        const refunded = await refundOrderPayment(payments, provider, orderId);
        // restoreStock is asked for when a PAID order was cancelled: its sale is undone and
        // nothing is payable any more. A refund of a charge that came too late (restoreStock
        // false) leaves the payable order alone: a newer version of the order may still be
        // awaiting payment.
        if (restore) {
          await restoreStock(products, orderId);
          await closePayableOrder(payments, { orderId });
        }
        return { refunded };
      },
    },
  };
}
