import { refundSaga } from '../sagas/refund.js';
import type { SagaRunner } from '../sagas/run-saga.js';
import type { QueueWiring } from '../server.js';
import type { Announce } from './order-changed.js';

/** `refunds` (docs/checkout.md, "Sagas"): a refund runs the refund saga. */
export function refundProcessors(sagas: SagaRunner, announce: Announce): QueueWiring<'refunds'> {
  return {
    processors: {
      'refund-payment': (payload) => announce(payload.orderId, () => sagas.run(refundSaga, payload)),
    },
  };
}
