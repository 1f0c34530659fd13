import { EventEmitter, once } from 'node:events';
import { request } from 'node:http';
import { createTestNonceStore, signedSubgraphPost, TEST_GATEWAY_SECRET, type SubgraphTarget } from '@shopgraph/testing';
import { parse } from 'graphql';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signRequest } from './internal-auth.js';
import { createSubgraphServer, type RequestBase, type RunningServer } from './subgraph-server.js';

/**
 * The subgraph's `/graphql` route on node:http (./subgraph-route.ts) as the gateway and an operator
 * see it: the request id in, out and on every line, one short access line, and the body rules
 * express.json() kept before it.
 */

const federation = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])';

type Line = Record<string, unknown> & { msg: string; req?: { id?: string; method?: string; url?: string; headers?: unknown } };

let server: RunningServer;
let target: SubgraphTarget;
let nonces: ReturnType<typeof createTestNonceStore>;
const lines: Line[] = [];
const written = new EventEmitter();

beforeAll(async () => {
  nonces = createTestNonceStore();
  const capture = {
    write: (line: string) => {
      lines.push(JSON.parse(line) as Line);
      written.emit('line');
    },
  };
  const logger = pino({ level: 'info' }, capture);
  server = await createSubgraphServer<RequestBase>({
    name: 'orders',
    typeDefs: parse(`${federation}
      type Query { requestId: String }`),
    resolvers: {
      Query: {
        requestId: (_: unknown, __: unknown, ctx: RequestBase) => {
          ctx.logger.info('resolving requestId');
          return ctx.requestId;
        },
      },
    } as never,
    logger,
    // As serveSubgraph gives it: the access line is written apart from the service log.
    accessLog: pino({ level: 'info' }, capture),
    gatewaySecret: TEST_GATEWAY_SECRET,
    nonces,
    production: true,
    checks: {},
    context: (base) => base,
  });
  target = { url: await server.listen(0, '127.0.0.1'), name: 'orders' };
});

afterAll(async () => {
  await server?.close();
  await nonces?.close();
});

/** The first line with `msg` about the request `requestId`, once written (the access line follows the response). */
async function lineOf(requestId: string, msg: string): Promise<Line> {
  const find = () => lines.find((line) => line.msg === msg && line.req?.id === requestId);
  while (!find()) await once(written, 'line', { signal: AbortSignal.timeout(10_000) });
  return find()!;
}

const REQUEST_ID = JSON.stringify({ query: '{ requestId }' });

describe('the /graphql route', () => {
  it("takes the gateway's request id: answers with it, hands it to the resolvers and names it on every line", async () => {
    const signed = signedSubgraphPost(target, REQUEST_ID);
    const response = await fetch(target.url, { ...signed, headers: { ...signed.headers, 'x-request-id': 'gw-req-7' } });
    expect(response.headers.get('x-request-id')).toBe('gw-req-7');
    expect(await response.json()).toEqual({ data: { requestId: 'gw-req-7' } });
    expect(await lineOf('gw-req-7', 'resolving requestId')).toMatchObject({ req: { id: 'gw-req-7', method: 'POST', url: '/graphql' } });
  });

  it('gives a request without a sane id one of its own', async () => {
    const signed = signedSubgraphPost(target, REQUEST_ID);
    const response = await fetch(target.url, { ...signed, headers: { ...signed.headers, 'x-request-id': 'not sane\u00e9' } });
    const id = response.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await response.json()).toEqual({ data: { requestId: id } });
  });

  it('writes one access line at info: method, path, status, time and request id, no headers', async () => {
    const signed = signedSubgraphPost(target, REQUEST_ID);
    await (await fetch(target.url, { ...signed, headers: { ...signed.headers, 'x-request-id': 'gw-req-8' } })).json();
    const line = await lineOf('gw-req-8', 'request completed');
    expect(line).toMatchObject({ level: 30, req: { id: 'gw-req-8', method: 'POST', url: '/graphql' }, res: { statusCode: 200 } });
    expect(line.responseTime).toEqual(expect.any(Number));
    expect(Object.keys(line.req!)).toEqual(['id', 'method', 'url']);
    expect(JSON.stringify(line)).not.toContain('x-shopgraph');
  });

  it('answers /health and 404 beside it from the service shell', async () => {
    expect(await (await fetch(new URL('/health', target.url))).json()).toEqual({ status: 'ok', service: 'orders' });
    expect((await fetch(new URL('/graphql/more', target.url), signedSubgraphPost(target, REQUEST_ID))).status).toBe(404);
  });
});

describe('the body', () => {
  const BIG = JSON.stringify({ query: '{ requestId }', padding: 'x'.repeat(1024 * 1024) });

  it('refuses a body over 1 MB announced by its length with 413', async () => {
    const response = await fetch(target.url, signedSubgraphPost(target, BIG));
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ errors: [{ message: 'Request body too large.', extensions: { code: 'BAD_REQUEST' } }] });
  });

  it('refuses a body that grows over 1 MB while it streams with 413, and closes the connection', async () => {
    const signed = signedSubgraphPost(target, BIG);
    const answer = new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
      const req = request(target.url, { method: 'POST', headers: { ...signed.headers, 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve({ status: res.statusCode!, connection: res.headers.connection });
      });
      // The server may close the connection before every byte is sent: the answer is what counts.
      req.on('error', (error) => reject(error));
      for (let at = 0; at < BIG.length; at += 64 * 1024) req.write(BIG.slice(at, at + 64 * 1024));
      req.end();
    });
    expect(await answer).toEqual({ status: 413, connection: 'close' });
  });

  it('refuses malformed JSON with 400 once signed, and with 401 when it is not', async () => {
    const malformed = '{"query": "{ requestId }"';
    const signed = await fetch(target.url, signedSubgraphPost(target, malformed));
    expect(signed.status).toBe(400);
    expect(await signed.json()).toEqual({ errors: [{ message: 'Malformed request body.', extensions: { code: 'BAD_REQUEST' } }] });
    const unsigned = await fetch(target.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: malformed });
    expect(unsigned.status).toBe(401);
  });

  it('executes only a JSON body: a form a browser may post cross-site (text/plain) runs nothing, signed or not', async () => {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const signed = signedSubgraphPost(target, REQUEST_ID);
      const response = await fetch(target.url, { ...signed, headers: { ...signed.headers, 'content-type': contentType } });
      expect(response.status).toBe(400);
      expect(JSON.stringify(await response.json())).not.toContain('"requestId"');
    }
  });

  it('refuses a compressed body: the signature is over the bytes the gateway sent', async () => {
    const signed = signedSubgraphPost(target, REQUEST_ID);
    const response = await fetch(target.url, { ...signed, headers: { ...signed.headers, 'content-encoding': 'gzip' } });
    expect(response.status).toBe(415);
  });

  it('verifies the signature over the body with its query string', async () => {
    const url = `${target.url}?trace=1`;
    const headers = signRequest(TEST_GATEWAY_SECRET, { method: 'POST', url, audience: 'orders', body: REQUEST_ID }, null);
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: REQUEST_ID });
    expect(await response.json()).toEqual({ data: { requestId: expect.any(String) } });
  });
});
