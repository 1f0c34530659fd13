import { applyReservationResult, failOrder, orderForReservation, priceReservation } from '@shopgraph/orders/checkout';
import { closePayableOrder, recordPayableOrder } from '@shopgraph/payments/checkout';
import { releaseReservation, reserveStock } from '@shopgraph/products/inventory';
import { jobIds } from '@shopgraph/queues';
import type { QueueWiring, WorkerContext } from '../server.js';

/** What a customer reads on an order whose reservation job was dead-lettered; the cause stays in the logs. */
export const RESERVATION_FAILED_REASON = 'Stock could not be reserved. Please place the order again.';

/**
 * `reservations` (docs/checkout.md, "Processors"): products reserves, orders learns the outcome,
 * payments learns what it may charge. Every step is idempotent, so a retry re-runs the lot.
 */
export function reservationProcessors(ctx: WorkerContext): QueueWiring<'reservations'> {
  const orders = ctx.db('orders');
  const products = ctx.db('products');
  const payments = ctx.db('payments');

  return {
    processors: {
      'reserve-stock': async ({ orderId, version }) => {
        const request = await orderForReservation(orders, { orderId, version });
        if (!request) return { skipped: 'the order is gone or at another version' };
        const result = await reserveStock(products, request);
        // Before the order reports the outcome, nobody may still be shown the old stock.
        await ctx.purgeProducts(result.moved);
        // Payments learns the price before the order shows AWAITING_PAYMENT, so a customer who
        // pays the moment they see it always finds something to charge.
        const price = result.ok ? priceReservation(result.lines) : undefined;
        if (price && 'total' in price) {
          await recordPayableOrder(payments, { orderId, userId: request.userId, total: price.total, version });
        }
        const order = await applyReservationResult(orders, { orderId, version, result });
        if (!order) return { skipped: 'the order is gone' };
        switch (order.status) {
          case 'AWAITING_PAYMENT':
            await ctx.enqueue({
              queue: 'expiries',
              name: 'expire-order',
              jobId: jobIds.expireOrder(orderId, order.version),
              payload: { orderId, version: order.version },
              delayMs: ctx.config.reservationTtlMs,
            });
            break;
          // Cancelled while the stock was being reserved (cancelOrder's release ran before there
          // was anything to release), refused by products (nothing held) or by orders after the
          // stock was reserved (e.g. lines in different currencies): whatever is held goes back,
          // and the payable copy of this version must not stay chargeable.
          case 'CANCELLED':
          case 'REJECTED':
            await ctx.purgeProducts(await releaseReservation(products, orderId));
            await closePayableOrder(payments, { orderId, version });
            break;
        }
        return { status: order.status, version: order.version };
      },

      'release-stock': async ({ orderId }) => {
        const released = await releaseReservation(products, orderId);
        await ctx.purgeProducts(released);
        await closePayableOrder(payments, { orderId });
        return { released: released.length > 0 };
      },
    },

    onExhausted: {
      // The order must not hang in PENDING: it is rejected with a reason, and whatever the
      // attempts held goes back to stock. An order that got past PENDING keeps its stock.
      'reserve-stock': async ({ orderId }) => {
        if (await failOrder(orders, { orderId, reason: RESERVATION_FAILED_REASON })) {
          await ctx.purgeProducts(await releaseReservation(products, orderId));
        }
      },
    },
  };
}
