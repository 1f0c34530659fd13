import { expireSaga } from '../sagas/expire.js';
import type { SagaRunner } from '../sagas/run-saga.js';
import type { QueueWiring } from '../server.js';

/** `expiries` (docs/checkout.md, "Sagas"): an expiry runs the expire saga. */
export function expiryProcessors(sagas: SagaRunner): QueueWiring<'expiries'> {
  return {
    processors: {
      'expire-order': (payload) => sagas.run(expireSaga, payload),
    },
  };
}
