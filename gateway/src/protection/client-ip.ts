import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

/** Express's compiled `trust proxy` setting (`app.get('trust proxy fn')`). */
export type TrustProxy = (address: string, hop: number) => boolean;

/** Distinct (peer, X-Forwarded-For) pairs remembered: a busy gateway's active clients. */
const REMEMBERED = 10_000;

/**
 * The client address express's `req.ip` gives, for requests express never sees (the front
 * door). proxy-addr parses every address of the chain on each call, the costliest step of a
 * cache hit after the socket write; a peer and header seen before give the same answer, so it is
 * remembered: by peer, then by header, two lookups of strings the request already holds (joining
 * them into one key and keeping it in recency order cost a hit 2 % of its CPU). When
 * `REMEMBERED` pairs are known, all are forgotten at once and the active ones learnt again.
 */
export function clientIpResolver(trust: TrustProxy): (req: IncomingMessage) => string {
  let known = new Map<string, Map<string, string>>();
  let remembered = 0;
  return (req) => {
    const peer = req.socket.remoteAddress ?? '';
    // Node joins repeated X-Forwarded-For headers into one string; the type allows a list.
    const forwarded = String(req.headers['x-forwarded-for'] ?? '');
    let byHeader = known.get(peer);
    let ip = byHeader?.get(forwarded);
    if (ip === undefined) {
      ip = proxyaddr(req, trust);
      if (remembered >= REMEMBERED) {
        known = new Map();
        remembered = 0;
        byHeader = undefined;
      }
      if (!byHeader) known.set(peer, (byHeader = new Map()));
      byHeader.set(forwarded, ip);
      remembered++;
    }
    return ip;
  };
}
