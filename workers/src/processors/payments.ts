import { chargeSaga } from '../sagas/charge.js';
import type { SagaRunner } from '../sagas/run-saga.js';
import type { QueueWiring } from '../server.js';
import type { OrderChanged } from './order-changed.js';

/** `payments` (docs/checkout.md, "Sagas"): a charge runs the charge saga. */
export function paymentProcessors(sagas: SagaRunner, orderChanged: OrderChanged): QueueWiring<'payments'> {
  return {
    processors: {
      // The job names the payment only; the saga's answer names its order. A charge that threw
      // runs again, and announces its order then.
      'charge-payment': async (payload) => {
        const result = (await sagas.run(chargeSaga, payload)) as { orderId?: string };
        if (result.orderId) await orderChanged(result.orderId);
        return result;
      },
    },
    onExhausted: {
      // The payment it failed is the order's news too: its subscribers see FAILED, processing_error.
      'charge-payment': async (payload) => {
        const result = (await sagas.runDeadLettered(chargeSaga, payload)) as { orderId?: string } | undefined;
        if (result?.orderId) await orderChanged(result.orderId);
      },
    },
  };
}
