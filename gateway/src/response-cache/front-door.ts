import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { logRequestCompleted, parseJsonBody, plainJsonLength, readAnnouncedBody, REQUEST_ID_HEADER, requestIdOf, type Logger, type Viewer } from '@shopgraph/common';
import type { CachedResponse } from '@shopgraph/cache';
import type { Request } from 'express';
import type { FrontDoor, FrontDoorRefusal, FrontDoorStep } from '../plugins/plugin.js';
import { bearerTokenOf } from '../plugins/useAuth.js';
import { answerHit, type HitStatus } from './answer.js';
import type { CacheLevels } from './cache-levels.js';
import type { CacheMetrics } from './cache-metrics.js';
import { isReadOperation, type CacheRequest, type CacheRequests } from './cache-request.js';
import type { Revalidations } from './revalidation.js';
import type { UncacheableOperations } from './uncacheable-operations.js';
import type { VerifiedTokens } from './verified-tokens.js';

/** Largest body the front door reads itself; larger ones go to express untouched (cacheable queries are small). */
const FRONT_DOOR_MAX_BODY = 64 * 1024;

/** What the front door learnt of a request it handed to express: a body it refused, or a lookup that missed. */
export type HandedOver = { error: Error } | { missed: CacheRequest };

export interface CacheFrontDoorOptions {
  levels: CacheLevels;
  requests: CacheRequests;
  revalidations: Revalidations;
  verifiedTokens: VerifiedTokens;
  metrics: CacheMetrics;
  uncacheable: UncacheableOperations;
  logger: Logger;
  /** Where the access log line of each request answered here goes (`createAccessLogger`). */
  accessLog: Logger;
}

/** The announced body length of a request the front door may read; undefined to leave it to express. */
function frontDoorLength(req: IncomingMessage): number | undefined {
  // A browser (Origin) gets express's CORS answer; anything unusual gets express's whole handling.
  if (req.url !== '/graphql' || req.headers.origin !== undefined) return undefined;
  return plainJsonLength(req, FRONT_DOOR_MAX_BODY);
}

/**
 * The cache's front door: a plain listener in front of express that answers a fresh hit of a
 * plain JSON POST /graphql without it (no router, body parser or access-log middleware: the cost
 * of a hit is the cost of its bytes). It reads the body, identifies the viewer as `useAuth` would,
 * runs the steps of the plugins in front of the cache (the rate limits), then looks in both
 * levels; everything else goes to express, with what the front door learnt (`learnt`).
 */
export class CacheFrontDoor implements FrontDoor {
  private readonly handedOver = new WeakMap<IncomingMessage, HandedOver>();
  private app: RequestListener = () => {
    throw new Error('response cache: the front door is not open');
  };

  constructor(private readonly options: CacheFrontDoorOptions) {}

  /** The listener: `app` behind the front door, the plugins' `steps` in front of the cache's lookup. */
  open(app: RequestListener, steps: (last: FrontDoorStep, door: FrontDoor) => FrontDoorStep): RequestListener {
    this.app = app;
    const first = steps(this.lookup, this);
    return (req, res) => {
      const length = frontDoorLength(req);
      if (length === undefined) {
        app(req, res);
        return;
      }
      readAnnouncedBody(req, length, (raw) => {
        const startedAt = Date.now();
        const viewer = this.identify(req);
        // A token not known good is left to express's `useAuth`, which answers what is wrong with it.
        if (viewer === undefined) this.handOver(req, res, raw);
        else if (!(viewer instanceof Promise)) first(req, res, raw, startedAt, viewer);
        else {
          viewer.then(
            (verified) => (verified === undefined ? this.handOver(req, res, raw) : first(req, res, raw, startedAt, verified)),
            () => this.handOver(req, res, raw),
          );
        }
      });
    };
  }

  /** What the front door learnt of a request it handed to express, if it read it. */
  learnt(req: IncomingMessage): HandedOver | undefined {
    return this.handedOver.get(req);
  }

  refuse(req: IncomingMessage, res: ServerResponse, refusal: FrontDoorRefusal, startedAt: number): void {
    const requestId = requestIdOf(req);
    res.writeHead(refusal.status, { ...refusal.headers, [REQUEST_ID_HEADER]: requestId });
    res.end(refusal.body);
    logRequestCompleted(this.options.accessLog, req, requestId, refusal.status, startedAt);
  }

  fail(res: ServerResponse, error: unknown, what: string): void {
    this.options.logger.error({ err: error }, `response cache: front door ${what} failed`);
    res.destroy();
  }

  /**
   * The request's viewer: null when anonymous, undefined when its token is not known good
   * (`useAuth` then decides), or a promise when the token must be verified first.
   */
  private identify(req: IncomingMessage): Viewer | null | undefined | Promise<Viewer | null | undefined> {
    const header = req.headers.authorization;
    if (header === undefined) return null;
    const token = bearerTokenOf(header);
    if (!token) return undefined;
    const { verifiedTokens } = this.options;
    return verifiedTokens.known(token, Date.now()) ?? verifiedTokens.verify(token).then((viewer) => viewer ?? undefined);
  }

  /** The last step, once the viewer is known and the limits passed: first-level hits are answered here and now, without a promise in between. */
  private readonly lookup: FrontDoorStep = (req, res, raw, startedAt, viewer) => {
    const { levels, requests, revalidations } = this.options;
    const found = requests.of(req.headers.accept, raw, viewer, undefined);
    const local = levels.firstLevel(found, startedAt);
    if (local && (local.entry.freshUntil > startedAt || revalidations.covers(local.key, startedAt))) {
      this.answer(req, res, local.entry, local.entry.freshUntil > startedAt ? 'HIT-L1' : 'STALE', startedAt);
      return;
    }
    const parsed = parseJsonBody(raw);
    // A stale entry nobody revalidates yet goes to express, which answers it and starts that; so
    // does an operation known to be uncacheable, which express executes without a lookup.
    if (local || !('body' in parsed) || !isReadOperation(parsed.body) || this.options.uncacheable.has(parsed.body)) {
      this.handOver(req, res, raw);
      return;
    }
    found.coalescible = parsed.body.query !== undefined;
    levels.secondLevel(found).then(
      (remote) => {
        if (remote && remote.entry.freshUntil > Date.now()) this.answer(req, res, remote.entry, 'HIT-L2', startedAt);
        else this.handOver(req, res, raw, remote ? undefined : found);
      },
      (error: unknown) => {
        this.options.logger.error({ err: error }, 'response cache: front door failed');
        res.destroy();
      },
    );
  };

  /** A hit answered at the front door, with the request id and log line it would have had behind it. */
  private answer(req: IncomingMessage, res: ServerResponse, entry: CachedResponse, status: HitStatus, startedAt: number): void {
    const { metrics } = this.options;
    const requestId = requestIdOf(req);
    if (status === 'STALE') metrics.stale.inc();
    else (status === 'HIT-L1' ? metrics.l1Hits : metrics.l2Hits).inc();
    answerHit(res, entry, Date.now(), status, requestId);
    logRequestCompleted(this.options.accessLog, req, requestId, 200, startedAt, status);
  }

  /** Hands the request, its body read, to express: with the parse express's JSON parser would have made. */
  private handOver(req: IncomingMessage, res: ServerResponse, raw: Buffer, missed?: CacheRequest): void {
    req.rawBody = raw;
    const parsed = parseJsonBody(raw);
    if ('body' in parsed) (req as Request).body = parsed.body;
    else this.handedOver.set(req, parsed);
    if (missed) this.handedOver.set(req, { missed });
    this.app(req, res);
  }
}
