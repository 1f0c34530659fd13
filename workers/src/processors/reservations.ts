import { reserveSaga } from '../sagas/reserve.js';
import type { SagaRunner } from '../sagas/run-saga.js';
import type { QueueWiring } from '../server.js';
import type { Announce } from './order-changed.js';

/**
 * `reservations` (docs/checkout.md, "Sagas"): a reservation runs the reserve saga; a release (a
 * cancel) runs its compensations alone.
 */
export function reservationProcessors(sagas: SagaRunner, announce: Announce): QueueWiring<'reservations'> {
  return {
    processors: {
      'reserve-stock': (payload) => announce(payload.orderId, () => sagas.run(reserveSaga, payload)),
      'release-stock': (payload) =>
        announce(payload.orderId, async () => {
          const { released } = await sagas.undo(reserveSaga, payload);
          return { released };
        }),
    },
    onExhausted: {
      'reserve-stock': async (payload) => {
        await announce(payload.orderId, () => sagas.runDeadLettered(reserveSaga, payload));
      },
    },
  };
}
