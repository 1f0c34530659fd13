import { refundSaga } from '../sagas/refund.js';
import type { SagaRunner } from '../sagas/run-saga.js';
import type { QueueWiring } from '../server.js';

/** `refunds` (docs/checkout.md, "Sagas"): a refund runs the refund saga. */
export function refundProcessors(sagas: SagaRunner): QueueWiring<'refunds'> {
  return {
    processors: {
      'refund-payment': (payload) => sagas.run(refundSaga, payload),
    },
  };
}
