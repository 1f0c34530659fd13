import { reserveSaga } from '../sagas/reserve.js';
import type { SagaRunner } from '../sagas/run-saga.js';
import type { QueueWiring } from '../server.js';

/**
 * `reservations` (docs/checkout.md, "Sagas"): a reservation runs the reserve saga; a release (a
 * cancel) runs its compensations alone.
 */
export function reservationProcessors(sagas: SagaRunner): QueueWiring<'reservations'> {
  return {
    processors: {
      'reserve-stock': (payload) => sagas.run(reserveSaga, payload),
      'release-stock': async (payload) => {
        const { released } = await sagas.undo(reserveSaga, payload);
        return { released };
      },
    },
    onExhausted: {
      'reserve-stock': (payload) => sagas.runDeadLettered(reserveSaga, payload),
    },
  };
}
