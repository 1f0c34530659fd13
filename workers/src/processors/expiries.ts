import { expireSaga } from '../sagas/expire.js';
import type { SagaRunner } from '../sagas/run-saga.js';
import type { QueueWiring } from '../server.js';
import type { Announce } from './order-changed.js';

/** `expiries` (docs/checkout.md, "Sagas"): an expiry runs the expire saga. */
export function expiryProcessors(sagas: SagaRunner, announce: Announce): QueueWiring<'expiries'> {
  return {
    processors: {
      'expire-order': (payload) => announce(payload.orderId, () => sagas.run(expireSaga, payload)),
    },
  };
}
