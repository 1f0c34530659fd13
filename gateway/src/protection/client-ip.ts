import type { IncomingMessage } from 'node:http';
import { LruCache } from '@shopgraph/cache';
import proxyaddr from 'proxy-addr';

/** Express's compiled `trust proxy` setting (`app.get('trust proxy fn')`). */
export type TrustProxy = (address: string, hop: number) => boolean;

/** Distinct (peer, X-Forwarded-For) pairs remembered: a busy gateway's active clients. */
const REMEMBERED = 10_000;

/**
 * The client address express's `req.ip` gives, for requests express never sees (the front
 * door). proxy-addr parses every address of the chain on each call, the costliest step of a
 * cache hit after the socket write; a peer and header seen before give the same answer, so it is
 * remembered.
 */
export function clientIpResolver(trust: TrustProxy): (req: IncomingMessage) => string {
  const known = new LruCache<string>(REMEMBERED);
  return (req) => {
    const chain = `${req.socket.remoteAddress ?? ''}|${req.headers['x-forwarded-for'] ?? ''}`;
    let ip = known.get(chain);
    if (ip === undefined) {
      ip = proxyaddr(req, trust);
      known.set(chain, ip);
    }
    return ip;
  };
}
