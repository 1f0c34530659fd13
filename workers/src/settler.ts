import { paidAmong } from '@shopgraph/orders/checkout';
import { commitReservations, heldReservations } from '@shopgraph/products/inventory';
import type { WorkerContext } from './server.js';
import { ERROR_BACKOFF_MS, startSweepLoop, type BackgroundTask } from './sweep-loop.js';

/** Settling by sweep (docs/checkout.md, "Principles"): paid orders' held stock, committed many at a time. */
export interface Settler extends BackgroundTask {
  /**
   * The order is PAID: its held stock is committed with the other orders handed over within
   * `SETTLE_WINDOW_MS`. Nothing waits for it (the stock shown does not change); an order handed
   * over to a replica that dies before committing it is found again by a sweep.
   */
  settle(orderId: string): void;
}

/**
 * Commits the held stock of paid orders, many per products transaction: the orders the charge
 * saga hands over as it marks them PAID, and, at start and then once per reservation lifetime,
 * the held reservations whose orders are PAID (a sweep, for what a replica that died had been
 * handed). An idle database sees one read per sweep. The first order handed over waits
 * `SETTLE_WINDOW_MS` for others to share its transaction, as the relay's marks do; `batchSize`
 * waiting are committed at once.
 */
export function startSettler(ctx: Pick<WorkerContext, 'db' | 'config' | 'logger'>, batchSize = 100): Settler {
  const windowMs = ctx.config.settleWindowMs;
  const products = ctx.db('products');
  const orders = ctx.db('orders');
  const logger = ctx.logger.child({ component: 'settler' });
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();
  let stopping = false;
  /** Flushes failed in a row: the first is logged as an error, the recovery once. */
  let flushFailures = 0;

  /**
   * Commits what waits now, `batchSize` orders per transaction; orders handed over meanwhile wait
   * for a window of their own. What fails waits again and is retried after a backoff.
   */
  const flush = () =>
    (flushing = flushing.then(async () => {
      clearTimeout(timer);
      timer = undefined;
      const waiting = [...pending];
      pending.clear();
      for (let start = 0; start < waiting.length; start += batchSize) {
        const batch = waiting.slice(start, start + batchSize);
        try {
          const committed = await commitReservations(products, batch);
          logger.debug({ committed: committed.length, handed: batch.length }, 'paid orders settled');
          if (flushFailures > 0) logger.info({ failures: flushFailures }, 'settling recovered');
          flushFailures = 0;
        } catch (error) {
          for (const orderId of waiting.slice(start)) pending.add(orderId);
          flushFailures++;
          if (flushFailures === 1) logger.error({ err: error, orders: waiting.length - start }, 'paid orders not settled: retrying every second until it succeeds');
          if (!stopping) schedule(ERROR_BACKOFF_MS);
          return;
        }
      }
    }));

  function schedule(ms: number) {
    if (timer) return;
    timer = setTimeout(() => void flush(), ms);
  }

  function settle(orderId: string) {
    pending.add(orderId);
    if (stopping) return;
    if (pending.size >= batchSize) void flush();
    else schedule(windowMs);
  }

  /**
   * Hands over every paid order whose stock is still held, page by page, and commits them: at
   * start, then once per reservation lifetime (what a replica that died had been handed).
   */
  async function sweep(): Promise<number> {
    let after: string | undefined;
    for (;;) {
      const held = await heldReservations(products, { limit: batchSize, ...(after ? { after } : {}) });
      for (const orderId of await paidAmong(orders, held)) pending.add(orderId);
      await flush();
      if (held.length < batchSize) return ctx.config.reservationTtlMs;
      after = held.at(-1);
    }
  }

  const sweeps = startSweepLoop(logger, 'settler sweep', sweep);

  return {
    settle,
    async stop() {
      stopping = true;
      clearTimeout(timer);
      await sweeps.stop();
      // What the last jobs handed over is committed now rather than left to the next sweep.
      await flush();
    },
  };
}
