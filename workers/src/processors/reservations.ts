import { reserveSaga } from '../sagas/reserve.js';
import type { SagaRunner } from '../sagas/run-saga.js';
import type { QueueWiring } from '../server.js';
import { announcing, type OrderChanged } from './order-changed.js';

/**
 * `reservations` (docs/checkout.md, "Sagas"): a reservation runs the reserve saga; a release (a
 * cancel) runs its compensations alone.
 */
export function reservationProcessors(sagas: SagaRunner, orderChanged: OrderChanged): QueueWiring<'reservations'> {
  return {
    processors: {
      'reserve-stock': (payload) => announcing(orderChanged, payload.orderId, () => sagas.run(reserveSaga, payload)),
      'release-stock': (payload) =>
        announcing(orderChanged, payload.orderId, async () => {
          const { released } = await sagas.undo(reserveSaga, payload);
          return { released };
        }),
    },
    onExhausted: {
      'reserve-stock': (payload) => announcing(orderChanged, payload.orderId, () => sagas.runDeadLettered(reserveSaga, payload)),
    },
  };
}
