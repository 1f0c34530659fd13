import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { symbols as pinoSymbols } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Logger } from './logger.js';

export const REQUEST_ID_HEADER = 'x-request-id';
/** How the gateway's response cache answered: HIT-L1, HIT-L2, STALE or MISS (gateway/src/response-cache/ sets it). */
export const CACHE_STATUS_HEADER = 'x-cache';

/** Request ids taken from clients as they are; any other value is replaced. */
const CLIENT_REQUEST_ID = /^[\w.-]{1,128}$/;

/** The request's id: the client's own `x-request-id` when it is sane, a fresh one otherwise. */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers[REQUEST_ID_HEADER];
  return typeof given === 'string' && CLIENT_REQUEST_ID.test(given) ? given : randomUUID();
}

/** What a pino logger writes a line from: its level prefixes, time, bindings, line end and stream. */
interface PinoLineParts {
  [pinoSymbols.lsCacheSym]: Record<number, string>;
  [pinoSymbols.timeSym]: () => string;
  [pinoSymbols.chindingsSym]: string;
  [pinoSymbols.endSym]: string;
  [pinoSymbols.streamSym]: { write(line: string): unknown };
}

/**
 * The access log line of a request answered outside express (the gateway's front door): the
 * line `requestLogging` writes at `info`, with the cache status when there is one.
 * `accessLog` is `createAccessLogger`'s (no mixin, hooks or serializers of req and res): the line
 * is pino's own, byte for byte (its level, time and bindings, then the fields in the order pino
 * writes them), put together here and handed to the logger's stream, since pino's generic field
 * loop costs a cache hit as much again as the rest of its line (http.test.ts holds it to pino's).
 */
export function logRequestCompleted(accessLog: Logger, req: Pick<RequestLine, 'method' | 'url'>, requestId: string, statusCode: number, startedAt: number, cache?: string): void {
  if (!accessLog.isLevelEnabled('info')) return;
  const pino = accessLog as unknown as PinoLineParts;
  const line =
    pino[pinoSymbols.lsCacheSym][accessLog.levels.values.info!] +
    pino[pinoSymbols.timeSym]() +
    pino[pinoSymbols.chindingsSym] +
    `,"req":{"id":${JSON.stringify(requestId)},"method":${JSON.stringify(req.method)},"url":${JSON.stringify(req.url)}}` +
    `,"res":{"statusCode":${statusCode}},"responseTime":${Date.now() - startedAt}` +
    (cache === undefined ? '' : `,"cache":${JSON.stringify(cache)}`) +
    ',"msg":"request completed"' +
    pino[pinoSymbols.endSym];
  pino[pinoSymbols.streamSym].write(line);
}

/** The access log's view of a request: what an operator reads (every header too at `debug`). */
export interface RequestLine {
  id: string;
  method?: string | undefined;
  url?: string | undefined;
}

/**
 * A request's access log line once its response closed: method, path, status, time, request id
 * and cache status at `info` (`error` for a 5xx, "request aborted" when the client left first);
 * the headers only at `debug`, redacted by the logger (packages/common/src/logger.ts). At `info`
 * it goes through `logRequestCompleted` on `accessLog`, without pino's generic field loop.
 */
export function logCompleted(logger: Logger, accessLog: Logger | undefined, req: IncomingMessage, res: ServerResponse, line: RequestLine, startedAt: number): void {
  const level = res.statusCode >= 500 ? 'error' : 'info';
  if (!logger.isLevelEnabled(level)) return;
  const debug = logger.isLevelEnabled('debug');
  const cache = res.getHeader(CACHE_STATUS_HEADER);
  if (accessLog && level === 'info' && !debug && res.writableFinished) {
    // The line's path is the one the request came with: express rewrites `req.url` in mounted routers.
    logRequestCompleted(accessLog, line, line.id, res.statusCode, startedAt, cache === undefined ? undefined : String(cache));
    return;
  }
  const responseTime = Date.now() - startedAt;
  const message = res.writableFinished ? 'request completed' : 'request aborted';
  const fields = debug
    ? { req: { ...line, headers: req.headers }, res: { statusCode: res.statusCode, headers: res.getHeaders() }, responseTime }
    : { req: line, res: { statusCode: res.statusCode }, responseTime };
  logger[level](cache === undefined ? fields : { ...fields, cache }, message);
}

/** Probes and scrapes: answered without an access line, or they would drown the requests. */
const QUIET_PATHS = new Set(['/health', '/ready', '/metrics']);

/**
 * Request ids and access lines for an express app: each request gets its id (the client's sane
 * `x-request-id`, else a fresh one, echoed in the response), a logger naming it (`req.log`), and
 * one access line when its response closes (`logCompleted`). What pino-http did, minus what cost
 * the gateway's miss path 4 % of its CPU (issue 14): a second child logger per request, the
 * generic serializers, redaction at `info`.
 */
export function requestLogging(logger: Logger, accessLog?: Logger) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const startedAt = Date.now();
    const id = requestIdOf(req);
    res.setHeader(REQUEST_ID_HEADER, id);
    const line: RequestLine = { id, method: req.method, url: req.url };
    req.id = id;
    req.log = logger.child({ req: line });
    if (!QUIET_PATHS.has(req.url ?? '')) res.once('close', () => logCompleted(logger, accessLog, req, res, line, startedAt));
    next();
  };
}

/** A named dependency check for `/ready`: resolves when reachable, rejects otherwise. */
export type ReadinessCheck = () => Promise<unknown>;

export interface ServiceApp {
  app: Express;
  registry: Registry;
}

export interface ServiceAppOptions {
  service: string;
  logger: Logger;
  checks: Record<string, ReadinessCheck>;
  registry?: Registry;
  /**
   * `false` leaves `/metrics` off this app: a process whose listener is public serves its metrics
   * on an operator listener of their own (`createMetricsServer`). Default: on.
   */
  metricsRoute?: boolean;
  /** Where the access lines go at `info` (`createAccessLogger`); `logger` when absent. */
  accessLog?: Logger;
}

declare module 'node:http' {
  interface IncomingMessage {
    /** The exact request bytes, kept for signature checks. */
    rawBody?: Buffer;
    /** The request's id (`x-request-id`), set by `requestLogging`. */
    id: string;
    /** A logger whose every line names the request, set by `requestLogging`. */
    log: Logger;
  }
}

const READY_TIMEOUT_MS = 2000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref()),
  ]);
}

/**
 * The HTTP shell every process shares: request ids, JSON access logs, `/health`, `/ready`
 * and `/metrics`. Routes of the service itself are added by the caller.
 */
export function createServiceApp({ service, logger, checks, registry = new Registry(), metricsRoute = true, accessLog }: ServiceAppOptions): ServiceApp {
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const app = express();
  app.disable('x-powered-by');
  // No ETag hashed over every answer: GraphQL answers are POSTed (no client revalidates them) and
  // the gateway's cache says what is fresh itself; a SHA-1 of each response was 1 % of a miss.
  app.set('etag', false);
  app.use(requestLogging(logger, accessLog));

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', service });
  });
  app.get('/ready', async (_req, res) => {
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => {
        try {
          await withTimeout(check(), READY_TIMEOUT_MS);
          return [name, 'ok'] as const;
        } catch (error) {
          return [name, error instanceof Error ? error.message : 'unreachable'] as const;
        }
      }),
    );
    const ready = results.every(([, status]) => status === 'ok');
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', service, checks: Object.fromEntries(results) });
  });
  if (metricsRoute) {
    app.get('/metrics', async (_req, res) => {
      res.type(registry.contentType).send(await registry.metrics());
    });
  }
  return { app, registry };
}

/** An operator listener: `GET /metrics` from `registry`, 404 for anything else. */
export function createMetricsServer(registry: Registry): Server {
  return createServer((req, res) => {
    if (req.method !== 'GET' || req.url !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found.');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('Metrics unavailable.'),
    );
  });
}

/** Last middleware: malformed JSON, oversized bodies and the unexpected answer in JSON, no stack. */
export function errorHandler(logger: Logger) {
  return (error: { status?: number; type?: string; message?: string }, req: Request, res: Response, _next: NextFunction) => {
    const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
    if (status === 500) (req.log ?? logger).error({ err: error }, 'unhandled request error');
    const message =
      status === 413 ? 'Request body too large.' : status === 500 ? 'Internal server error.' : 'Malformed request body.';
    const code = status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST';
    res.status(status).json({ errors: [{ message, extensions: { code } }] });
  };
}

/** Listens on `port` (0 = any free port) and resolves with the bound port. */
export async function listen(server: Server, port: number, host?: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
