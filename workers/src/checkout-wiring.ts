import { createHttpPaymentProvider } from '@shopgraph/payment-provider';
import { startExpirySweep } from './expiry-sweep.js';
import { expiryProcessors } from './processors/expiries.js';
import type { Announce, OrderChanged } from './processors/order-changed.js';
import { paymentProcessors } from './processors/payments.js';
import { refundProcessors } from './processors/refunds.js';
import { reservationProcessors } from './processors/reservations.js';
import { createSagaRunner } from './sagas/run-saga.js';
import { startSettler } from './settler.js';
import type { WorkersWiring } from './server.js';

/**
 * The checkout (docs/checkout.md): every queue worked by its sagas (`sagas/`), the outboxes
 * of the subgraphs whose mutations start jobs (orders: reserve, release, refund; payments:
 * charge) relayed, the expiry sweep and the settler. The process (`index.ts`) and the tests run
 * the same wiring.
 */
export const checkoutWiring: WorkersWiring = {
  outboxSubgraphs: ['orders', 'payments'],
  wire(ctx) {
    const provider = createHttpPaymentProvider(ctx.config.paymentProvider.url, ctx.config.paymentProvider);
    const settler = startSettler(ctx);
    const sagas = createSagaRunner({ ...ctx, provider, settle: settler.settle });
    const order = (orderId: string) => [{ typename: 'Order', id: orderId }];
    const orderChanged: OrderChanged = (orderId) => ctx.entitiesChanged(order(orderId));
    const announce: Announce = (orderId, run) => ctx.announcing(order(orderId), run);
    return {
      processors: {
        reservations: reservationProcessors(sagas, announce),
        payments: paymentProcessors(sagas, orderChanged),
        refunds: refundProcessors(sagas, announce),
        expiries: expiryProcessors(sagas, announce),
      },
      background: [startExpirySweep(ctx), settler],
    };
  },
};
