import { expireOrder } from '@shopgraph/orders/checkout';
import { closePayableOrder } from '@shopgraph/payments/checkout';
import { releaseReservation } from '@shopgraph/products/inventory';
import type { QueueWiring, WorkerContext } from '../server.js';

/**
 * `expiries` (docs/checkout.md, "Processors"): an order still awaiting payment at the version the
 * job was scheduled for expires; its stock goes back and payments stops accepting it.
 */
export function expiryProcessors(ctx: WorkerContext): QueueWiring<'expiries'> {
  const orders = ctx.db('orders');
  const products = ctx.db('products');
  const payments = ctx.db('payments');

  return {
    processors: {
      'expire-order': async ({ orderId, version }) => {
        // Paid, cancelled or changed since: the job is stale and the order keeps its stock.
        if (!(await expireOrder(orders, { orderId, version, reservedForMs: ctx.config.reservationTtlMs }))) return { expired: false };
        await ctx.purgeProducts(await releaseReservation(products, orderId));
        await closePayableOrder(payments, { orderId, version });
        return { expired: true };
      },
    },
  };
}
