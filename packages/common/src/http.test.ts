import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createServiceApp, listen, logRequestCompleted } from './http.js';

const servers: { close(): unknown }[] = [];
afterEach(() => servers.splice(0).forEach((server) => server.close()));

/** A service shell logging at `level` into memory, with a route answered as a cache hit; its base URL and the lines. */
async function serviceLoggingAt(level: string) {
  const lines: Record<string, unknown>[] = [];
  const written = new EventEmitter();
  const logger = pino({ level }, {
    write: (line: string) => {
      lines.push(JSON.parse(line) as Record<string, unknown>);
      written.emit('line');
    },
  });
  const { app } = createServiceApp({ service: 'svc', logger, checks: {} });
  app.get('/answer', (_req, res) => {
    res.setHeader('x-cache', 'HIT-L2');
    res.json({ ok: true });
  });
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
