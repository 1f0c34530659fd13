import { ErrorCode, type Logger } from '@shopgraph/common';
import type { RequestHandler } from 'express';
import type { GraphQLError } from 'graphql';
import type { SubscriptionCredentials } from './credentials.js';
import { LiveSubscription } from './live-subscription.js';
import type { OpenSubscriptions } from './open-subscriptions.js';
import type { GraphQLParams } from './prepare.js';

const BOUNDARY = 'graphql';
// Each part is followed by the boundary at once, so a client reads it without waiting for the next.
const part = (json: string) => `\r\ncontent-type: application/json; charset=utf-8\r\n\r\n${json}\r\n--${BOUNDARY}`;
const formatted = (errors: readonly GraphQLError[]) => errors.map((error) => ({ message: error.message, extensions: { code: error.extensions.code } }));

/** Does the client speak Apollo's multipart subscription protocol (`Accept: multipart/mixed;subscriptionSpec=1.0`)? */
const acceptsMultipartSubscriptions = (accept: string | undefined) => !!accept && /multipart\/mixed/i.test(accept) && /subscriptionSpec="?1\.0/i.test(accept);

export interface MultipartOptions {
  open: OpenSubscriptions;
  credentials: SubscriptionCredentials;
  heartbeatMs: number;
  logger: Logger;
}

/**
 * Apollo's multipart HTTP subscriptions (what Apollo Client and Sandbox speak): a POST of a
 * subscription with `Accept: multipart/mixed;subscriptionSpec=1.0` is answered with one part per
 * result (`{"payload": …}`), an empty `{}` part every `heartbeatMs`, and the closing boundary when
 * it ends. Anything but a subscription goes on to Apollo; an invalid subscription, or one without
 * that Accept, is refused with 400 and `GRAPHQL_VALIDATION_FAILED` (the latter pointing at the two transports).
 */
export function multipartSubscriptions({ open, credentials, heartbeatMs, logger }: MultipartOptions): RequestHandler {
  return async (req, res, next) => {
    const params = req.body as GraphQLParams | undefined;
    // Cheap test first: this runs on every request.
    if (req.method !== 'POST' || typeof params?.query !== 'string' || !params.query.includes('subscription')) return next();
    // A graph without a Subscription root: Apollo refuses every subscription, as for any graph.
    if (open.schema && !open.schema.getSubscriptionType()) return next();
    const reading = open.read(params);
    // Not a subscription, or not a document at all: Apollo's to answer, as for any request.
    if (reading && ('notSubscription' in reading || ('errors' in reading && reading.errors[0]?.extensions.code === 'GRAPHQL_PARSE_FAILED'))) return next();
    if (!reading || open.closing) {
      res.status(503).set('retry-after', '1').json({ errors: [{ message: 'The gateway cannot take subscriptions right now.', extensions: { code: 'SERVICE_UNAVAILABLE' } }] });
      return;
    }
    if ('errors' in reading) {
      res.status(400).json({ errors: formatted(reading.errors) });
      return;
    }
    // Valid, but this transport cannot carry it: the contract's code for an operation that cannot run.
    if (!acceptsMultipartSubscriptions(req.headers.accept)) {
      res.status(400).json({
        errors: [
          {
            message: 'Subscriptions are served over graphql-ws (WebSocket) or Apollo multipart HTTP (Accept: multipart/mixed;subscriptionSpec=1.0).',
            extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
          },
        ],
      });
      return;
    }
    const { prepared } = reading;
    const authentication = await credentials.authenticate(req.headers.authorization);
    if ('errors' in authentication) {
      const unauthenticated = authentication.errors[0]?.extensions?.code === ErrorCode.UNAUTHENTICATED;
      res.status(unauthenticated ? 401 : 503).json({ errors: authentication.errors });
      return;
    }
    const opened = await open.open(prepared, { ...authentication, clientIp: req.ip ?? '' }, 'multipart', () => undefined);
    if (!(opened instanceof LiveSubscription)) {
      res.status(200).json(opened);
      return;
    }
    res.writeHead(200, { 'content-type': `multipart/mixed; boundary="${BOUNDARY}"; subscriptionSpec="1.0"`, 'cache-control': 'no-store' });
    res.write(`\r\n--${BOUNDARY}`);
    const heartbeat = setInterval(() => res.write(part('{}')), heartbeatMs);
    res.on('close', () => void opened.return());
    try {
      for await (const result of opened) {
        if (res.writableEnded || res.destroyed) break;
        res.write(part(JSON.stringify({ payload: result })));
      }
    } catch (error) {
      logger.error({ err: error }, 'subscriptions: a multipart subscription failed');
    } finally {
      clearInterval(heartbeat);
      if (!res.writableEnded && !res.destroyed) res.end('--\r\n');
    }
  };
}
