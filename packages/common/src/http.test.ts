import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import express from 'express';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createServiceApp, listen, logRequestCompleted } from './http.js';

const servers: { close(): unknown }[] = [];
afterEach(() => servers.splice(0).forEach((server) => server.close()));

/** A service shell logging at `level` into memory, with a route answered as a cache hit; its base URL and the lines. */
async function serviceLoggingAt(level: string, { withAccessLog = false } = {}) {
  const lines: Record<string, unknown>[] = [];
  const written = new EventEmitter();
  const into = {
    write: (line: string) => {
      lines.push(JSON.parse(line) as Record<string, unknown>);
      written.emit('line');
    },
  };
  const logger = pino({ level }, into);
  const accessLog = withAccessLog ? pino({ level }, into) : undefined;
  const { app } = createServiceApp({ service: 'svc', logger, checks: {}, accessLog });
  app.get('/answer', (_req, res) => {
    res.setHeader('x-cache', 'HIT-L2');
    res.json({ ok: true });
  });
  // A mounted router sees `req.url` without its mount path; the line must not.
  const mounted = express.Router();
  mounted.get('/deep', (req, res) => {
    req.log.info('inside the route');
    res.json({ ok: true });
  });
  app.use('/mounted', mounted);
  const server = createServer(app);
  servers.push(server);
  const port = await listen(server, 0, '127.0.0.1');
  return { url: `http://127.0.0.1:${port}`, lines, written };
}

/** The access log line of the request with `requestId`, once written (it follows the response). */
async function accessLine({ lines, written }: { lines: Record<string, unknown>[]; written: EventEmitter }, requestId: string) {
  const find = () => lines.find((entry) => entry.msg === 'request completed' && (entry.req as { id?: string }).id === requestId);
  // Each line written is an event: wait for the next one until the line sought is among them.
  while (!find()) await once(written, 'line', { signal: AbortSignal.timeout(10_000) });
  return find()!;
}

const browserHeaders = {
  'x-request-id': 'req-1',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
  accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8',
  'accept-language': 'en-GB,en;q=0.9,fr;q=0.8',
  authorization: 'Bearer secret-token',
  cookie: 'session=secret',
};

describe('createServiceApp access log', () => {
  it('says what an operator needs: method, path, status, time, request id and cache status, no headers', async () => {
    const logged = await serviceLoggingAt('info');
    await fetch(`${logged.url}/answer?page=2`, { headers: browserHeaders });
    const line = await accessLine(logged, 'req-1');
    expect(line).toMatchObject({ req: { id: 'req-1', method: 'GET', url: '/answer?page=2' }, res: { statusCode: 200 }, cache: 'HIT-L2' });
    expect(line.responseTime).toEqual(expect.any(Number));
    expect(Object.keys(line.req as object)).toEqual(['id', 'method', 'url']);
    expect(Object.keys(line.res as object)).toEqual(['statusCode']);
    expect(JSON.stringify(line)).not.toContain('Mozilla');
  });

  it('leaves the cache status out when nothing cached the answer', async () => {
    const logged = await serviceLoggingAt('info');
    await fetch(`${logged.url}/nowhere`, { headers: { 'x-request-id': 'req-2' } });
    const line = await accessLine(logged, 'req-2');
    expect(line).toMatchObject({ res: { statusCode: 404 } });
    expect(line).not.toHaveProperty('cache');
  });

  it('adds the request and response headers at debug level', async () => {
    const logged = await serviceLoggingAt('debug');
    await fetch(`${logged.url}/answer`, { headers: browserHeaders });
    const line = await accessLine(logged, 'req-1');
    expect(line).toMatchObject({
      req: { headers: { 'user-agent': browserHeaders['user-agent'], 'accept-language': 'en-GB,en;q=0.9,fr;q=0.8' } },
      res: { statusCode: 200, headers: { 'x-cache': 'HIT-L2' } },
    });
  });
});

describe('createServiceApp with an access logger', () => {
  it('writes the same line through it, with the path the request came with and the cache status', async () => {
    const logged = await serviceLoggingAt('info', { withAccessLog: true });
    await fetch(`${logged.url}/answer`, { headers: { 'x-request-id': 'req-3' } });
    expect(await accessLine(logged, 'req-3')).toMatchObject({ req: { id: 'req-3', method: 'GET', url: '/answer' }, res: { statusCode: 200 }, cache: 'HIT-L2' });
    await fetch(`${logged.url}/mounted/deep`, { headers: { 'x-request-id': 'req-4' } });
    expect(await accessLine(logged, 'req-4')).toMatchObject({ req: { id: 'req-4', url: '/mounted/deep' }, res: { statusCode: 200 } });
  });

  it('names the request in every line its handlers write, and echoes the id a client sent', async () => {
    const logged = await serviceLoggingAt('info', { withAccessLog: true });
    const response = await fetch(`${logged.url}/mounted/deep`, { headers: { 'x-request-id': 'req-5' } });
    expect(response.headers.get('x-request-id')).toBe('req-5');
    await accessLine(logged, 'req-5');
    expect(logged.lines.find((line) => line.msg === 'inside the route')).toMatchObject({ req: { id: 'req-5', method: 'GET', url: '/mounted/deep' } });
  });

  it('answers without an ETag hashed over the body', async () => {
    const logged = await serviceLoggingAt('info');
    const response = await fetch(`${logged.url}/answer`);
    expect(await response.json()).toEqual({ ok: true });
    expect(response.headers.get('etag')).toBeNull();
  });

  it('replaces a request id no operator could read with a fresh one', async () => {
    const logged = await serviceLoggingAt('info', { withAccessLog: true });
    const response = await fetch(`${logged.url}/answer`, { headers: { 'x-request-id': 'not an id; <script>' } });
    const id = response.headers.get('x-request-id')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await accessLine(logged, id)).toMatchObject({ req: { id } });
  });
});

describe('logRequestCompleted', () => {
  /** A logger shaped like `createAccessLogger`'s (level by name, a time, the service), writing into `lines`. */
  const loggerInto = (lines: string[], level = 'info') =>
    pino(
      { level, base: { service: 'svc' }, timestamp: () => ',"time":"2026-01-02T03:04:05.678Z"', formatters: { level: (label) => ({ level: label }) } },
      { write: (line: string) => lines.push(line) },
    );
  const request = (url: string) => ({ method: 'POST', url }) as IncomingMessage;

  it('writes, byte for byte, the line pino writes for the same fields', () => {
    const ours: string[] = [];
    const pinos: string[] = [];
    const startedAt = Date.now() - 7;
    const cases = [
      { logger: (lines: string[]) => loggerInto(lines), url: '/graphql', status: 200, cache: 'HIT-L1' },
      { logger: (lines: string[]) => loggerInto(lines).child({ component: 'front door' }), url: '/graphql?q="x"\\y', status: 429, cache: undefined },
    ];
    vi.spyOn(Date, 'now').mockReturnValue(startedAt + 7);
    try {
      for (const { logger, url, status, cache } of cases) {
        logRequestCompleted(logger(ours), request(url), 'id-1', status, startedAt, cache);
        logger(pinos).info({ req: { id: 'id-1', method: 'POST', url }, res: { statusCode: status }, responseTime: 7, cache }, 'request completed');
      }
    } finally {
      vi.restoreAllMocks();
    }
    expect(ours).toEqual(pinos);
    expect(ours).toHaveLength(2);
  });

  it('writes nothing when the logger is above info', () => {
    const lines: string[] = [];
    logRequestCompleted(loggerInto(lines, 'warn'), request('/graphql'), 'id-1', 200, Date.now(), 'HIT-L1');
    expect(lines).toEqual([]);
  });
});
