import { dueExpiries, type AwaitingCursor } from '@shopgraph/orders/checkout';
import { jobIds } from '@shopgraph/queues';
import type { WorkerContext } from './server.js';
import { startSweepLoop, type BackgroundTask } from './sweep-loop.js';

/**
 * Expiry by sweep (docs/checkout.md, "Principles"): reads the orders awaiting payment, oldest
 * first, adds `expire-order` for those due (deterministic job ids: a second sweep, here or in
 * another replica, adds nothing more), and sleeps until the first one not due yet is due — or a
 * whole reservation when none awaits, since an order that starts awaiting later is due no sooner.
 * What it added belongs to BullMQ (retries, dead letters); an order it read but did not add for
 * still awaits, and the next read finds it again.
 */
export function startExpirySweep(ctx: Pick<WorkerContext, 'db' | 'config' | 'logger' | 'enqueue'>, batchSize = 100): BackgroundTask {
  const db = ctx.db('orders');
  const reservedForMs = ctx.config.reservationTtlMs;
  const logger = ctx.logger.child({ component: 'expiry-sweep' });

  /** Adds the expiries due now, batch after batch; answers how long until the next one is due. */
  async function sweep(): Promise<number> {
    let after: AwaitingCursor | undefined;
    for (;;) {
      const { due, nextDueInMs, more } = await dueExpiries(db, { reservedForMs, limit: batchSize, ...(after ? { after } : {}) });
      await Promise.all(
        due.map(({ orderId, version }) =>
          ctx.enqueue({ queue: 'expiries', name: 'expire-order', jobId: jobIds.expireOrder(orderId, version), payload: { orderId, version } }),
        ),
      );
      if (due.length > 0) logger.debug({ expiring: due.length }, 'expiries added');
      if (!more) return nextDueInMs ?? reservedForMs;
      after = more;
    }
  }

  return startSweepLoop(logger, 'expiry sweep', sweep);
}
