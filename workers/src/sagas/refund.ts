import { refundOrderPayment } from '@shopgraph/payments/checkout';
import { restoreStock } from '@shopgraph/products/inventory';
import type { PayloadOf } from '@shopgraph/queues';
import { done, next, saga } from './saga.js';

/**
 * `refund-payment {orderId, restoreStock}`: the order's captured payment goes back through the
 * provider (once: `refund-<paymentId>` is the idempotency key), then — for a cancelled PAID
 * order — its units go back on hand.
 */
export const refundSaga = saga<PayloadOf<'refunds', 'refund-payment'>>('refund')
  .step({
    name: 'refund-payment',
    owner: 'payments',
    run: async ({ orderId }, { db, provider }) => next({ refunded: await refundOrderPayment(db, provider, orderId) }),
  })
  .step({
    name: 'restore-stock',
    owner: 'products',
    // Asked for when a PAID order was cancelled: its sale is undone. A charge that came too late
    // for its order (restoreStock false) never took any stock.
    run: async ({ orderId, restoreStock: restore, refunded }, { db, purgeProducts }) => {
      const restored = restore ? await restoreStock(db, orderId) : [];
      await purgeProducts(restored);
      return done({ refunded, restored: restored.length > 0 });
    },
  })
  .build();
