import { closePayableOrder as closePayable } from '@shopgraph/payments/checkout';
import { releaseReservation } from '@shopgraph/products/inventory';
import { continuingStep, next } from './saga.js';

/*
 * The two steps that give a reservation back (docs/checkout.md, "Sagas"): the compensations of
 * the reserve saga — run when it is refused, and on their own by `release-stock` (a cancel) —
 * and the last steps of the expire saga.
 */

/** Products: the order's HELD units go back to stock, and the cached products showing them are purged. */
export const releaseStock = continuingStep({
  name: 'release-stock',
  owner: 'products',
  run: async ({ orderId }: { orderId: string }, { db, purgeProducts }) => {
    const released = await releaseReservation(db, orderId);
    await purgeProducts(released);
    return next({ released: released.length > 0 });
  },
});

/** Payments: the payable order stops taking money — up to `version` when given, whatever version otherwise. */
export const closePayableOrder = continuingStep({
  name: 'close-payable-order',
  owner: 'payments',
  run: async ({ orderId, version }: { orderId: string; version?: number }, { db }) => {
    await closePayable(db, { orderId, version });
    return next({});
  },
});
