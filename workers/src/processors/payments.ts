import { chargeSaga } from '../sagas/charge.js';
import type { SagaRunner } from '../sagas/run-saga.js';
import type { QueueWiring } from '../server.js';

/** `payments` (docs/checkout.md, "Sagas"): a charge runs the charge saga. */
export function paymentProcessors(sagas: SagaRunner): QueueWiring<'payments'> {
  return {
    processors: {
      'charge-payment': (payload) => sagas.run(chargeSaga, payload),
    },
    onExhausted: {
      'charge-payment': (payload) => sagas.runDeadLettered(chargeSaga, payload),
    },
  };
}
