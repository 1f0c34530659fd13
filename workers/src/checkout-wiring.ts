import { createHttpPaymentProvider } from '@shopgraph/payment-provider';
import { expiryProcessors } from './processors/expiries.js';
import { paymentProcessors } from './processors/payments.js';
import { refundProcessors } from './processors/refunds.js';
import { reservationProcessors } from './processors/reservations.js';
import { createSagaRunner } from './sagas/run-saga.js';
import type { WorkersWiring } from './server.js';

/**
 * The checkout (docs/checkout.md): every queue worked by its sagas (`sagas/`), and the outboxes
 * of the subgraphs whose mutations start jobs (orders: reserve, release, refund; payments:
 * charge) relayed. The process (`index.ts`) and the tests run the same wiring.
 */
export const checkoutWiring: WorkersWiring = {
  outboxSubgraphs: ['orders', 'payments'],
  processors(ctx) {
    const provider = createHttpPaymentProvider(ctx.config.paymentProvider.url, ctx.config.paymentProvider);
    const sagas = createSagaRunner({ ...ctx, provider });
    const orderChanged = (orderId: string) => ctx.entitiesChanged([{ typename: 'Order', id: orderId }]);
    return {
      reservations: reservationProcessors(sagas, orderChanged),
      payments: paymentProcessors(sagas, orderChanged),
      refunds: refundProcessors(sagas, orderChanged),
      expiries: expiryProcessors(sagas, orderChanged),
    };
  },
};
