import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Deadline } from './deadline.js';
import { SubgraphClient } from './subgraph-client.js';

/** Each connection's requests in order; the handler decides per request what the server does. */
let handle: (req: IncomingMessage, res: ServerResponse, nth: number) => void;
const connections = new Map<Socket, number>();
let server: Server;
let url: string;
let client: SubgraphClient;

beforeAll(async () => {
  server = createServer((req, res) => {
    const nth = (connections.get(req.socket) ?? 0) + 1;
    connections.set(req.socket, nth);
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      res.setHeader('x-received', body);
      handle(req, res, nth);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql?x=1`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

afterEach(() => {
  client?.close();
  connections.clear();
});

const answer = (res: ServerResponse, status = 200) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ data: { ok: true } }));
};

/** One turn of the event loop: an answered connection is back in its pool on the next one. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

const post = (replayable: boolean, headers: Record<string, string> = {}) =>
  client.post(client.targetOf(url), () => headers, '{"query":"{ ok }"}', new Deadline(10_000), replayable);

describe('the subgraph client', () => {
  it('POSTs the exact body to the path and query string, and buffers status, headers and body', async () => {
    client = new SubgraphClient();
    let seen: { method?: string; url?: string; length?: string; signature?: string } = {};
    handle = (req, res) => {
      seen = { method: req.method, url: req.url, length: req.headers['content-length'], signature: req.headers['x-signature'] as string };
      answer(res, 400);
    };
    const result = await post(false, { 'x-signature': 'abc' });
    expect(seen).toEqual({ method: 'POST', url: '/graphql?x=1', length: '18', signature: 'abc' });
    expect(result).toMatchObject({ status: 400, body: '{"data":{"ok":true}}' });
    expect(result.headers['x-received']).toBe('{"query":"{ ok }"}');
  });

  it('keeps the connection for the next call', async () => {
    client = new SubgraphClient();
    handle = (_req, res) => answer(res);
    await post(false);
    await nextTurn();
    await post(false);
    expect([...connections.values()]).toEqual([2]);
  });

  it('sends a replayable call again on a new connection, newly signed, when its pooled connection is reset before an answer', async () => {
    client = new SubgraphClient();
    handle = (req, res, nth) => (nth === 2 ? req.socket.destroy() : answer(res));
    await post(true);
    await nextTurn();
    let signed = 0;
    const result = await client.post(client.targetOf(url), () => ({ 'x-signature': String(++signed) }), '{}', new Deadline(10_000), true);
    expect(result.status).toBe(200);
    expect(signed).toBe(2);
    expect([...connections.values()]).toEqual([2, 1]);
  });

  it('does not send a call that may not be replayed twice', async () => {
    client = new SubgraphClient();
    handle = (req, res, nth) => (nth === 2 ? req.socket.destroy() : answer(res));
    await post(false);
    await nextTurn();
    await expect(post(false)).rejects.toMatchObject({ code: 'UND_ERR_SOCKET' });
    expect([...connections.values()]).toEqual([2]);
  });

  it('rejects when the deadline passes while the answer is incomplete', async () => {
    client = new SubgraphClient();
    // The answer never completes, so only the deadline can end the call.
    handle = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"data":');
    };
    await expect(client.post(client.targetOf(url), () => ({}), '{}', new Deadline(100), true)).rejects.toThrow();
  });
});
