import type { ResponseStore } from '@shopgraph/cache';
import type { Logger } from '@shopgraph/common';
import type { Request, Response } from 'express';
import type { CacheExecutor } from './cache-executor.js';
import type { CacheMetrics } from './cache-metrics.js';
import type { CacheRequest } from './cache-request.js';
import type { Flights } from './single-flight.js';

/** How long one process owns the revalidation of a stale entry before another may try. */
const REVALIDATION_LOCK_MS = 10_000;
/** How long a process that lost the claim serves the stale entry before it looks again. */
const REVALIDATION_RECHECK_MS = 1000;

/**
 * Stale-while-revalidate: a stale entry is answered as it is while one execution, across all
 * gateways, refreshes it. The entries being revalidated are remembered, each until when: the
 * front door answers them stale itself meanwhile, instead of handing each request to express to
 * find out the same.
 */
export class Revalidations {
  private readonly until = new Map<string, number>();

  constructor(
    private readonly store: ResponseStore,
    private readonly flights: Flights,
    private readonly metrics: CacheMetrics,
    private readonly logger: Logger,
  ) {}

  covers(entryKey: string, now: number): boolean {
    const until = this.until.get(entryKey);
    return until !== undefined && until > now;
  }

  sweep(now: number): void {
    for (const [entryKey, until] of this.until) if (until <= now) this.until.delete(entryKey);
  }

  /** Once per stale entry across all gateways: executes `req` again in the background, which stores the answer. */
  start(request: CacheRequest, entryKey: string, executor: CacheExecutor, req: Request, res: Response): void {
    if (this.flights.has(request)) return;
    this.until.set(entryKey, Date.now() + REVALIDATION_LOCK_MS);
    void (async () => {
      const claim = await this.store.claimRevalidation(entryKey, REVALIDATION_LOCK_MS);
      if (claim === null) {
        // Another gateway revalidates it; should that one fail, this one tries again soon.
        this.until.set(entryKey, Date.now() + REVALIDATION_RECHECK_MS);
        return;
      }
      try {
        const revalidation = { ...request, since: { epoch: await this.store.epoch(), at: Date.now() } };
        await this.flights.run(revalidation, () => executor.execute(req, res, revalidation));
      } finally {
        this.until.delete(entryKey);
        await this.store.releaseRevalidation(entryKey, claim);
      }
    })().catch((error: unknown) => {
      this.metrics.errors.inc({ operation: 'revalidate' });
      this.logger.warn({ err: error }, 'response cache: revalidation failed');
    });
  }
}
