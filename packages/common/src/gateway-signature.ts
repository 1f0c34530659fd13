import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { ErrorCode } from './errors.js';
import { verifySignedRequest, type NonceStore } from './internal-auth.js';
import type { Logger } from './logger.js';
import type { Viewer } from './viewer.js';

export interface GatewaySignatureOptions {
  secret: string;
  /** This subgraph's name in the supergraph: a request signed for another subgraph is refused. */
  audience: string;
  nonces: NonceStore;
}

/** The code of a 503 from a subgraph whose nonce store (Redis) does not answer. */
export const NONCE_STORE_UNAVAILABLE = 'NONCE_STORE_UNAVAILABLE';

/** An answer that is not Apollo's: a refusal or a failure, in the GraphQL error shape. */
export class Refusal {
  constructor(
    readonly status: number,
    readonly message: string,
    readonly code: string,
  ) {}
}

export function writeRefusal(res: ServerResponse, { status, message, code }: Refusal): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
}

const unsigned = new Refusal(401, 'Subgraphs answer only the gateway.', ErrorCode.UNAUTHENTICATED);

/** A request as the signature check reads it: `url` is the request target as received (path and query string). */
export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer | string;
}

/**
 * Serves only a request the gateway signed for exactly this one: POST, to this path and query
 * string, for this subgraph, with this body, within the skew, and never seen before (its nonce is
 * claimed in `nonces`). Anything else is a 401 UNAUTHENTICATED, logged with the reason, so
 * identities cannot be forged and captured requests cannot be replayed. When the nonce store
 * cannot answer, the request is refused too (503: this replica cannot serve, another may).
 * Resolves with the viewer the gateway vouches for, or the refusal to answer.
 */
export async function checkGatewaySignature(
  { secret, audience, nonces }: GatewaySignatureOptions,
  req: ReceivedRequest,
  log: Logger,
): Promise<{ viewer: Viewer | null } | Refusal> {
  const refuse = (reason: string) => {
    log.warn({ reason, method: req.method, url: req.url }, 'refused a request not signed by the gateway for it');
    return unsigned;
  };
  // The gateway only ever POSTs; a GET could carry a captured signature past Apollo's own rules.
  if (req.method !== 'POST') return refuse(`method ${req.method}: subgraphs accept only POST`);
  const check = verifySignedRequest(secret, { method: req.method, url: req.url, audience, body: req.body }, req.headers);
  if (!check.ok) return refuse(check.reason);
  let firstUse: boolean;
  try {
    firstUse = await nonces.claim(check.nonce, check.nonceTtlMs);
  } catch (error) {
    log.error({ err: error }, 'refused a request: its nonce could not be checked for replay (Redis unreachable)');
    return new Refusal(503, 'Cannot check the request for replay: the nonce store is unreachable.', NONCE_STORE_UNAVAILABLE);
  }
  return firstUse ? { viewer: check.viewer } : refuse('replayed request: its nonce was already used');
}

/**
 * `checkGatewaySignature` as express middleware, after `jsonBody()` (which keeps the raw bytes), for
 * a GraphQL server built on express instead of `createSubgraphServer`: the viewer lands in
 * `res.locals.viewer`.
 */
export function requireGatewaySignature(options: GatewaySignatureOptions) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const signed = await checkGatewaySignature(options, { method: req.method, url: req.originalUrl, headers: req.headers, body: req.rawBody ?? '' }, req.log);
    if (signed instanceof Refusal) return writeRefusal(res, signed);
    res.locals.viewer = signed.viewer;
    next();
  };
}
