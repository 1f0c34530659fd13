import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { symbols as pinoSymbols } from 'pino';
import { pinoHttp } from 'pino-http';
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
 * line `createServiceApp`'s pino-http writes at `info`, with the cache status when there is one.
 * `accessLog` is `createAccessLogger`'s (no mixin, hooks or serializers of req and res): the line
 * is pino's own, byte for byte (its level, time and bindings, then the fields in the order pino
 * writes them), put together here and handed to the logger's stream, since pino's generic field
 * loop costs a cache hit as much again as the rest of its line (http.test.ts holds it to pino's).
 */
export function logRequestCompleted(accessLog: Logger, req: IncomingMessage, requestId: string, statusCode: number, startedAt: number, cache?: string): void {
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

/** The access log's view of a request: what an operator reads; every header too at `debug`. */
interface LoggedRequest {
  id: string;
  method: string;
  url: string;
  headers: Record<string, unknown>;
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
}

declare module 'node:http' {
  interface IncomingMessage {
    /** The exact request bytes, kept for signature checks. */
    rawBody?: Buffer;
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
export function createServiceApp({ service, logger, checks, registry = new Registry(), metricsRoute = true }: ServiceAppOptions): ServiceApp {
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  const app = express();
  app.disable('x-powered-by');
  app.use(
    pinoHttp({
      logger,
      genReqId: (req: IncomingMessage, res) => {
        const id = requestIdOf(req);
        res.setHeader(REQUEST_ID_HEADER, id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/health' || req.url === '/metrics' || req.url === '/ready' },
      customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
      // Method, path, status, time, request id and cache status: a line an operator reads at a
      // glance (the headers made it ~0.9 KB); the headers at debug level, redacted (createLogger).
      // `logRequestCompleted` writes the same line for the requests answered outside express.
      serializers: {
        req: ({ id, method, url, headers }: LoggedRequest) => (logger.isLevelEnabled('debug') ? { id, method, url, headers } : { id, method, url }),
        res: ({ statusCode, headers }: { statusCode: number; headers: Record<string, unknown> }) =>
          logger.isLevelEnabled('debug') ? { statusCode, headers } : { statusCode },
      },
      customSuccessObject: (_req, res, line: Record<string, unknown>) => withCacheStatus(res, line),
      customErrorObject: (_req, res, _error, line: Record<string, unknown>) => withCacheStatus(res, line),
    }),
  );

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

/** The access log line, with the response cache's answer when there was one. */
function withCacheStatus(res: ServerResponse, line: Record<string, unknown>): Record<string, unknown> {
  const cache = res.getHeader(CACHE_STATUS_HEADER);
  return cache === undefined ? line : { ...line, cache };
}

/** JSON bodies up to `limit`, keeping the raw bytes for signature checks. */
export function jsonBody(limit = '1mb') {
  return express.json({
    limit,
    verify: (req: IncomingMessage, _res, buffer) => {
      req.rawBody = buffer;
    },
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
