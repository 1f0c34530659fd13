import { expireOrder } from '@shopgraph/orders/checkout';
import type { PayloadOf } from '@shopgraph/queues';
import { closePayableOrder, releaseStock } from './release-steps.js';
import { done, next, saga } from './saga.js';

/**
 * `expire-order {orderId, version}`: an order still awaiting payment at the version the job was
 * scheduled for expires; its stock goes back and payments stops accepting it.
 */
export const expireSaga = saga<PayloadOf<'expiries', 'expire-order'>>('expire')
  .step({
    name: 'expire-order',
    owner: 'orders',
    // True while the order is EXPIRED at that version, so a retry still releases. Paid,
    // cancelled or changed since: the job is stale and the order keeps its stock.
    run: async ({ orderId, version }, { db, config }) =>
      (await expireOrder(db, { orderId, version, reservedForMs: config.reservationTtlMs })) ? next({}) : done({ expired: false }),
  })
  .step(releaseStock)
  .step(closePayableOrder)
  .build({ result: () => ({ expired: true }) });
