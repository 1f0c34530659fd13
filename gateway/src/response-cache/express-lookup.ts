import type { CachedResponse } from '@shopgraph/cache';
import { CACHE_STATUS_HEADER } from '@shopgraph/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { viewerOf } from '../plugins/useAuth.js';
import { answerHit, sendMiss } from './answer.js';
import type { CacheExecutor } from './cache-executor.js';
import type { CacheLevels } from './cache-levels.js';
import type { CacheMetrics } from './cache-metrics.js';
import { isReadOperation, type CacheRequest, type CacheRequests } from './cache-request.js';
import type { CacheFrontDoor } from './front-door.js';
import type { Revalidations } from './revalidation.js';
import type { Flights } from './single-flight.js';
import type { UncacheableOperations } from './uncacheable-operations.js';

export interface ExpressLookupOptions {
  levels: CacheLevels;
  requests: CacheRequests;
  frontDoor: CacheFrontDoor;
  flights: Flights;
  revalidations: Revalidations;
  metrics: CacheMetrics;
  uncacheable: UncacheableOperations;
}

/**
 * The cache behind express, for the requests the front door handed over or never read: `lookup`
 * answers hits once the client is identified and the limits passed; `execute` runs the misses it
 * let through, last before the Apollo middleware, and stores their answers.
 */
export class ExpressLookup {
  /** Requests `lookup` let through as misses, for `execute`. */
  private readonly pending = new WeakMap<Response, CacheRequest>();
  private executor: CacheExecutor | undefined;

  constructor(private readonly options: ExpressLookupOptions) {}

  /** Misses are executed by `executor` from now on (once Apollo Server has started). */
  executeWith(executor: CacheExecutor): void {
    this.executor = executor;
  }

  readonly lookup: RequestHandler = (req, res, next) => {
    const learnt = this.options.frontDoor.learnt(req);
    if (learnt && 'error' in learnt) {
      next(learnt.error);
      return;
    }
    if (isReadOperation(req.body) && this.options.uncacheable.has(req.body)) {
      // No lookup in either level, and Apollo answers as for any request the cache passes by.
      this.options.metrics.bypassed.inc();
      res.setHeader(CACHE_STATUS_HEADER, 'MISS');
      next();
      return;
    }
    const found = this.requestOf(req, res);
    if (!found) {
      next();
      return;
    }
    if (learnt) {
      // The front door looked in both levels already, for the same viewer.
      found.since = learnt.missed.since;
      this.miss(res, next, found);
      return;
    }
    const { levels } = this.options;
    const local = levels.firstLevel(found, Date.now());
    if (local) {
      this.serve(req, res, found, local.key, local.entry, 'L1', Date.now());
      return;
    }
    levels
      .secondLevel(found)
      .then((remote) => (remote ? this.serve(req, res, found, remote.key, remote.entry, 'L2', Date.now()) : this.miss(res, next, found)))
      .catch(next);
  };

  readonly execute: RequestHandler = async (req, res, next) => {
    const found = this.pending.get(res);
    if (!found || !this.executor) {
      next();
      return;
    }
    const executor = this.executor;
    // An identical miss may have landed since the lookup (a flight is shared only while in the air).
    const landed = this.options.levels.firstLevel(found, Date.now());
    if (landed && landed.entry.freshUntil > Date.now()) {
      this.serve(req, res, found, landed.key, landed.entry, 'L1', Date.now());
      return;
    }
    sendMiss(res, await this.options.flights.run(found, () => executor.execute(req, res, found)));
  };

  private requestOf(req: Request, res: Response): CacheRequest | undefined {
    const body: unknown = req.body;
    if (req.method !== 'POST' || !req.rawBody || !isReadOperation(body)) return undefined;
    return this.options.requests.of(req.headers.accept, req.rawBody, viewerOf(res), body);
  }

  private serve(req: Request, res: Response, found: CacheRequest, key: string, entry: CachedResponse, level: 'L1' | 'L2', now: number): void {
    const { metrics } = this.options;
    if (entry.freshUntil > now) {
      (level === 'L1' ? metrics.l1Hits : metrics.l2Hits).inc();
      answerHit(res, entry, now, level === 'L1' ? 'HIT-L1' : 'HIT-L2');
      return;
    }
    metrics.stale.inc();
    answerHit(res, entry, now, 'STALE');
    if (this.executor) this.options.revalidations.start(found, key, this.executor, req, res);
  }

  private miss(res: Response, next: NextFunction, found: CacheRequest): void {
    this.options.metrics.misses.inc();
    this.pending.set(res, found);
    next();
  }
}
