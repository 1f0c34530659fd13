import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import { ErrorCode } from './errors.js';
import { checkGatewaySignature, Refusal, writeRefusal, type GatewaySignatureOptions } from './gateway-signature.js';
import { requestLogging } from './http.js';
import type { Logger } from './logger.js';
import type { RequestBase } from './subgraph-server.js';

/*
 * A subgraph's `POST /graphql` on bare node:http, in front of the express app that serves the
 * rest (`/health`, `/ready`, `/metrics`). Every gateway → subgraph call takes this path, and
 * express, body-parser, an access-log middleware and `res.send` (an ETag hashed over every answer, a child
 * logger per request, a prototype swap of the request and response) were most of its fixed cost
 * (issue 14): the body is read once, the signature checked over those bytes, and Apollo's answer
 * written as it is.
 */

/** The path the gateway calls: exactly this one, with or without a query string. */
export const GRAPHQL_PATH = '/graphql';

export const isGraphQLRequest = (url: string | undefined): boolean =>
  url !== undefined && url.startsWith(GRAPHQL_PATH) && (url.length === GRAPHQL_PATH.length || url[GRAPHQL_PATH.length] === '?');

/** As jsonBody() in packages/common/src/json-body.ts: JSON bodies up to 1 MB. */
const BODY_LIMIT_BYTES = 1024 * 1024;

export interface GraphQLRouteOptions<Context extends RequestBase> {
  apollo: ApolloServer<Context>;
  signature: GatewaySignatureOptions;
  logger: Logger;
  /**
   * Where a completed request's line goes at `info` (`createAccessLogger`): written by
   * `logRequestCompleted`, without pino's generic field loop and redaction, which cost a
   * subgraph call 3 %. Without it, `logger` writes that line too.
   */
  accessLog?: Logger;
  context: (base: RequestBase) => Context;
}

/** A body refused before it is parsed: what `errorHandler` (packages/common/src/http.ts) answers for it. */
const refusalOf = (status: 400 | 413 | 415): Refusal =>
  new Refusal(status, status === 413 ? 'Request body too large.' : 'Malformed request body.', 'BAD_REQUEST');

/** The request's bytes, up to the limit; a Refusal for an oversized or encoded body. */
function readBody(req: IncomingMessage): Promise<Buffer | Refusal> {
  const encoding = req.headers['content-encoding'];
  // The signature is over the bytes the gateway sent, which it never compresses.
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return Promise.resolve(refusalOf(415));
  if (Number(req.headers['content-length'] ?? 0) > BODY_LIMIT_BYTES) return Promise.resolve(refusalOf(413));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT_BYTES) {
        req.removeAllListeners('data');
        req.pause();
        resolve(refusalOf(413));
      } else {
        chunks.push(chunk);
      }
    });
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.once('error', reject);
  });
}

const isJson = (contentType: string | undefined) => contentType !== undefined && /^application\/json\s*(;|$)/i.test(contentType);

/**
 * Serves a request the gateway signed for this subgraph (`checkGatewaySignature`), after reading
 * its body once. Each request gets its id (`x-request-id`), a logger naming it, and one access
 * log line.
 */
export function graphqlRoute<Context extends RequestBase>({ apollo, signature, logger, accessLog, context }: GraphQLRouteOptions<Context>) {
  async function serve(req: IncomingMessage, res: ServerResponse, requestId: string, log: Logger): Promise<void> {
    // Anything but a POST is refused unread: checkGatewaySignature serves POST only.
    const raw = req.method === 'POST' ? await readBody(req) : '';
    if (raw instanceof Refusal) {
      res.setHeader('connection', 'close');
      return writeRefusal(res, raw);
    }
    const signed = await checkGatewaySignature(signature, { method: req.method!, url: req.url!, headers: req.headers, body: raw }, log);
    if (signed instanceof Refusal) return writeRefusal(res, signed);
    let body: unknown;
    if (isJson(req.headers['content-type'])) {
      try {
        body = JSON.parse(raw.toString());
      } catch {
        return writeRefusal(res, refusalOf(400));
      }
    }
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    const query = req.url!.indexOf('?');
    const answer = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: 'POST', headers, search: query < 0 ? '' : req.url!.slice(query), body },
      context: async () => context({ viewer: signed.viewer, requestId, logger: log }),
    });
    for (const [name, value] of answer.headers) res.setHeader(name, value);
    res.statusCode = answer.status ?? 200;
    if (answer.body.kind === 'complete') {
      res.setHeader('content-length', Buffer.byteLength(answer.body.string));
      res.end(answer.body.string);
      return;
    }
    for await (const chunk of answer.body.asyncIterator) res.write(chunk);
    res.end();
  }

  const logging = requestLogging(logger, accessLog);
  return (req: IncomingMessage, res: ServerResponse): void =>
    logging(req, res, () =>
      serve(req, res, req.id, req.log).catch((error: unknown) => {
        req.log.error({ err: error }, 'unhandled request error');
        if (!res.headersSent) writeRefusal(res, new Refusal(500, 'Internal server error.', ErrorCode.INTERNAL_SERVER_ERROR));
        else res.destroy();
      }),
    );
}
