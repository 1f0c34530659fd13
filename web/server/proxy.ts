import http from 'node:http';
import https from 'node:https';
import type { Logger } from '@shopgraph/common';
import type { Request, RequestHandler, Response } from 'express';

// Per-connection headers (RFC 9110 §7.6.1) belong to one hop and are never forwarded.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
]);

function forwardable(headers: http.IncomingHttpHeaders | http.OutgoingHttpHeaders): http.OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase())));
}

/**
 * Streams requests to the gateway and its answers back unchanged (status, headers, body), so
 * the browser calls `/graphql` on its own origin. The bearer token passes through untouched:
 * the gateway, not this server, decides who the viewer is.
 */
export function gatewayProxy(target: URL, logger: Logger): RequestHandler {
  const transport = target.protocol === 'https:' ? https : http;
  return (req: Request, res: Response) => {
    const url = new URL(target);
    url.search = new URL(req.originalUrl, 'http://proxy.local').search;
    const headers = forwardable(req.headers);
    // The gateway limits requests per client address: it learns the shopper's from this
    // header when it trusts this hop (TRUST_PROXY), instead of counting every shopper as us.
    const client = req.socket.remoteAddress ?? '';
    const forwardedFor = req.headers['x-forwarded-for'];
    headers['x-forwarded-for'] = forwardedFor ? `${forwardedFor}, ${client}` : client;
    headers['x-forwarded-host'] = req.headers.host ?? '';
    const upstream = transport.request(url, { method: req.method, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, forwardable(answer.headers));
      answer.pipe(res);
    });
    upstream.on('error', (error) => {
      (req.log ?? logger).warn({ err: error, gateway: target.origin }, 'gateway unreachable');
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // A GraphQL-shaped answer, so the client shows it like any other error.
      res.status(502).json({
        errors: [{ message: 'The shop is not reachable right now.', extensions: { code: 'GATEWAY_UNREACHABLE' } }],
      });
    });
    // A subscription's stream ends when the browser goes away: the gateway is told at once.
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  };
}
