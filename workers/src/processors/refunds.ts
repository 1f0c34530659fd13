import type { PaymentProvider } from '@shopgraph/payment-provider';
import { refundOrderPayment } from '@shopgraph/payments/checkout';
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
        // Asked for when a PAID order was cancelled: its sale is undone. A charge that came
        // too late for its order (restoreStock false) never took any stock.
        const restored = restore ? await restoreStock(products, orderId) : [];
        await ctx.purgeProducts(restored);
        return { refunded, restored: restored.length > 0 };
      },
    },
  };
}
