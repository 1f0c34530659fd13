import { applyReservationResult, failOrder, orderForReservation, priceReservation } from '@shopgraph/orders/checkout';
import { recordPayableOrder } from '@shopgraph/payments/checkout';
import { reserveStock } from '@shopgraph/products/inventory';
import type { PayloadOf } from '@shopgraph/queues';
import { closePayableOrder, releaseStock } from './release-steps.js';
import { done, next, saga, undo } from './saga.js';

/** What a customer reads on an order whose reservation job was dead-lettered; the cause stays in the logs. */
export const RESERVATION_FAILED_REASON = 'Stock could not be reserved. Please place the order again.';

/** When the reserve-stock job failed for good: the order must not hang in PENDING, and what the attempts held goes back. */
const reserveDeadLettered = saga<PayloadOf<'reservations', 'reserve-stock'>>('reserve, dead-lettered')
  .step({
    name: 'fail-order',
    owner: 'orders',
    // An order that got past PENDING keeps its stock.
    run: async ({ orderId }, { db }) => ((await failOrder(db, { orderId, reason: RESERVATION_FAILED_REASON })) ? next({}) : done()),
  })
  .step(releaseStock)
  .build();

/**
 * `reserve-stock {orderId, version}`: products reserves, payments learns what it may charge,
 * orders learns the outcome. A cancelled or rejected outcome gives back what was held and
 * closes the payable copy; `release-stock` (a cancel) runs those compensations on their own.
 */
export const reserveSaga = saga<PayloadOf<'reservations', 'reserve-stock'>, PayloadOf<'reservations', 'release-stock'>>('reserve')
  .step({
    name: 'load-order',
    owner: 'orders',
    // Null only when the order is gone or at another version: one already past PENDING at this
    // version still answers, so a job retried after a crash re-runs the follow-ups.
    run: async ({ orderId, version }, { db }) => {
      const request = await orderForReservation(db, { orderId, version });
      return request ? next({ request }) : done({ skipped: 'the order is gone or at another version' });
    },
  })
  .step({
    name: 'reserve-stock',
    owner: 'products',
    compensation: releaseStock,
    run: async ({ request }, { db, purgeProducts }) => {
      const reservation = await reserveStock(db, request);
      // Before the order reports the outcome, nobody may still be shown the old stock.
      await purgeProducts(reservation.moved);
      return next({ reservation });
    },
  })
  .step({
    name: 'record-payable-order',
    owner: 'payments',
    compensation: closePayableOrder,
    // Payments learns the price before the order shows AWAITING_PAYMENT, so a customer who pays
    // the moment they see it always finds something to charge. Nothing to record when products
    // or the pricing refused; the compensation still closes an older version's record.
    run: async ({ orderId, version, request, reservation }, { db }) => {
      const price = reservation.ok ? priceReservation(reservation.lines) : undefined;
      if (price && 'total' in price) await recordPayableOrder(db, { orderId, userId: request.userId, total: price.total, version });
      return next({});
    },
  })
  .step({
    name: 'apply-reservation-result',
    owner: 'orders',
    run: async ({ orderId, version, reservation }, { db }) => {
      const order = await applyReservationResult(db, { orderId, version, result: reservation });
      if (!order) return done({ skipped: 'the order is gone' });
      const summary = { status: order.status, version: order.version };
      switch (order.status) {
        // Cancelled while the stock was being reserved (cancelOrder's release ran before there
        // was anything to release), refused by products (nothing held) or by orders after the
        // stock was reserved (e.g. lines in different currencies): whatever is held goes back,
        // and the payable copy of this version must not stay chargeable.
        case 'CANCELLED':
        case 'REJECTED':
          return undo(summary);
        // AWAITING_PAYMENT (its expiry is the sweep's business, expiry-sweep.ts), or moved on.
        default:
          return done(summary);
      }
    },
  })
  .build({ deadLettered: reserveDeadLettered });
