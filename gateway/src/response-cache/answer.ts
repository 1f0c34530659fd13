import type { ServerResponse } from 'node:http';
import type { CachedResponse } from '@shopgraph/cache';
import { CACHE_STATUS_HEADER, REQUEST_ID_HEADER } from '@shopgraph/common';
import type { Response } from 'express';
import type { Outcome } from './single-flight.js';

/** Where a cached answer came from, as `x-cache` says it. */
export type HitStatus = 'HIT-L1' | 'HIT-L2' | 'STALE';

/** Each entry's constant headers, flattened once for `writeHead`. */
const flatHeaders = new WeakMap<CachedResponse, string[]>();

/** Sends a cached entry: its bytes and headers, its age and where it came from. */
export function answerHit(res: ServerResponse, entry: CachedResponse, now: number, status: HitStatus, requestId?: string): void {
  let headers = flatHeaders.get(entry);
  if (!headers) {
    headers = [...entry.headers.flat(), 'content-length', String(entry.body.length)];
    flatHeaders.set(entry, headers);
  }
  // One array per request, the entry's headers copied in by slice: writeHead reads pairs from it.
  const all = headers.slice();
  all.push('age', String(Math.floor((now - entry.storedAt) / 1000)), CACHE_STATUS_HEADER, status);
  if (requestId !== undefined) all.push(REQUEST_ID_HEADER, requestId);
  // Headers set before (express's request id, CORS) are merged in by writeHead.
  res.writeHead(200, all);
  res.end(entry.body);
}

/** Sends an executed answer, this request's own or one it shared. */
export function sendMiss(res: Response, outcome: Outcome): void {
  res.statusCode = outcome.status;
  for (const [name, value] of outcome.headers) res.setHeader(name, value);
  res.setHeader(CACHE_STATUS_HEADER, 'MISS');
  res.setHeader('content-length', outcome.body.length);
  res.end(outcome.body);
}
