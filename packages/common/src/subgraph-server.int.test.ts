import { Writable } from 'node:stream';
import { createTestNonceStore, freePort, signedSubgraphPost, TEST_GATEWAY_SECRET, type SubgraphTarget } from '@shopgraph/testing';
import { parse } from 'graphql';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisNonceStore, signatureHeaders, signRequest } from './internal-auth.js';
import { createRedisClient } from './redis.js';
import { createSubgraphServer, NONCE_STORE_UNAVAILABLE, type RequestBase, type RunningServer } from './subgraph-server.js';
import type { NonceStore } from './internal-auth.js';

/**
 * The attacks of issue 12 item 1 on real subgraph servers (the shared factory) with real Redis: a
 * captured gateway → subgraph request (headers and body) replayed, sent as a GET, sent to another
 * subgraph, to another path or query string, with another body, or twice at once.
 */

const federation = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])';

/** A log line as pino writes it. */
type LogLine = { msg: string; reason?: string; level: number };

function capturedLogger() {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as LogLine);
      done();
    },
  });
  return { logger: pino({ level: 'warn' }, stream), lines };
}

interface Started {
  server: RunningServer;
  target: SubgraphTarget;
  lines: LogLine[];
  /** Runs of the `placeOrder` resolver. */
  placed: number;
}

async function startSubgraph(name: string, nonces: NonceStore): Promise<Started> {
  const { logger, lines } = capturedLogger();
  const started = { lines, placed: 0 } as Started;
  started.server = await createSubgraphServer<RequestBase>({
    name,
    typeDefs: parse(`${federation}
      type Account @key(fields: "id") { id: ID!, email: String }
      type Query { whoami: ID }
      type Mutation { placeOrder: Int }`),
    resolvers: {
      Query: { whoami: (_: unknown, __: unknown, ctx: RequestBase) => ctx.viewer?.id ?? null },
      Mutation: { placeOrder: () => ++started.placed },
      Account: { __resolveReference: ({ id }: { id: string }) => ({ id, email: `${id}@example.com` }) },
    } as never,
    logger,
    gatewaySecret: TEST_GATEWAY_SECRET,
    nonces,
    production: true,
    checks: {},
    context: (base) => base,
  });
  started.target = { url: await started.server.listen(0, '127.0.0.1'), name };
  return started;
}

const alice = { id: 'alice', role: 'CUSTOMER' as const };
const PLACE = JSON.stringify({ query: 'mutation { placeOrder }' });
const ENTITIES = '{ _entities(representations: [{ __typename: "Account", id: "bob" }]) { ... on Account { email } } }';

let nonces: ReturnType<typeof createTestNonceStore>;
let orders: Started;
let users: Started;

beforeAll(async () => {
  nonces = createTestNonceStore();
  // Every subgraph of a platform shares one Redis: the nonces are remembered across them.
  [orders, users] = await Promise.all([startSubgraph('orders', nonces), startSubgraph('users', nonces)]);
});

afterAll(async () => {
  await Promise.all([orders?.server.close(), users?.server.close()]);
  await nonces?.close();
});

/** Sends `request` to `url`; its status, first error code and data. */
async function send(url: string, request: RequestInit) {
  const response = await fetch(url, request);
  const answer = (await response.json()) as { data?: Record<string, unknown>; errors?: { extensions?: { code?: string } }[] };
  return { status: response.status, code: answer.errors?.[0]?.extensions?.code, data: answer.data };
}

const refused = { status: 401, code: 'UNAUTHENTICATED', data: undefined };

/** The reasons the subgraph logged for its refusals since `from`. */
const reasonsSince = (subgraph: Started, from: number) => subgraph.lines.slice(from).map((line) => line.reason);

describe('a signature is good for exactly one request', () => {
  it('serves a signed POST once; the same request again is refused and logged as a replay', async () => {
    const captured = signedSubgraphPost(orders.target, PLACE, alice);
    const before = { placed: orders.placed, lines: orders.lines.length };
    expect(await send(orders.target.url, captured)).toMatchObject({ status: 200, data: { placeOrder: before.placed + 1 } });
    expect(await send(orders.target.url, captured)).toEqual(refused);
    expect(await send(orders.target.url, captured)).toEqual(refused);
    expect(orders.placed).toBe(before.placed + 1);
    expect(reasonsSince(orders, before.lines)).toEqual(['replayed request: its nonce was already used', 'replayed request: its nonce was already used']);
  });

  it('serves exactly one of two identical requests sent at the same time', async () => {
    const captured = signedSubgraphPost(orders.target, PLACE, alice);
    const before = orders.placed;
    const answers = await Promise.all(Array.from({ length: 8 }, () => send(orders.target.url, captured)));
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(1);
    expect(answers.filter((answer) => answer.status === 401 && answer.code === 'UNAUTHENTICATED')).toHaveLength(7);
    expect(orders.placed).toBe(before + 1);
  });

  it('refuses the captured headers on a GET with any query string, before Apollo sees it', async () => {
    const captured = signedSubgraphPost(orders.target, PLACE, alice);
    const before = orders.lines.length;
    for (const query of [ENTITIES, '{ whoami }', 'mutation { placeOrder }']) {
      const url = `${orders.target.url}?query=${encodeURIComponent(query)}`;
      expect(await send(url, { method: 'GET', headers: { ...captured.headers, 'apollo-require-preflight': 'true' } })).toEqual(refused);
    }
    expect(reasonsSince(orders, before)).toEqual(Array(3).fill('method GET: subgraphs accept only POST'));
    // Even one signed for a GET: the subgraphs never serve GET.
    const signedGet = signRequest(TEST_GATEWAY_SECRET, { method: 'GET', url: `${orders.target.url}?query={whoami}`, audience: 'orders', body: '' }, alice);
    expect(await send(`${orders.target.url}?query={whoami}`, { method: 'GET', headers: signedGet })).toEqual(refused);
  });

  it('refuses the captured request at another subgraph (audience), as a GET or a POST', async () => {
    const captured = signedSubgraphPost(orders.target, JSON.stringify({ query: ENTITIES }), alice);
    const before = users.lines.length;
    expect(await send(`${users.target.url}?query=${encodeURIComponent(ENTITIES)}`, { method: 'GET', headers: captured.headers })).toEqual(refused);
    expect(await send(users.target.url, captured)).toEqual(refused);
    expect(reasonsSince(users, before)).toEqual(['method GET: subgraphs accept only POST', expect.stringContaining('bad signature')]);
    // Signed for the users subgraph, the same body is served there: the refusal was the audience's.
    expect(await send(users.target.url, signedSubgraphPost(users.target, JSON.stringify({ query: ENTITIES }), alice))).toMatchObject({
      status: 200,
      data: { _entities: [{ email: 'bob@example.com' }] },
    });
  });

  it('refuses a request sent to another path or query string than the one signed', async () => {
    const elsewhere = signedSubgraphPost({ ...orders.target, url: orders.target.url.replace('/graphql', '/other/graphql') }, PLACE, alice);
    const withQuery = signedSubgraphPost(orders.target, PLACE, alice);
    const before = orders.placed;
    expect(await send(orders.target.url, elsewhere)).toEqual(refused);
    expect(await send(`${orders.target.url}?operationName=x`, withQuery)).toEqual(refused);
    const signedWithQuery = signedSubgraphPost({ ...orders.target, url: `${orders.target.url}?a=1` }, PLACE, alice);
    expect(await send(`${orders.target.url}?a=2`, signedWithQuery)).toEqual(refused);
    expect(orders.placed).toBe(before);
  });

  it('refuses a tampered body, a tampered viewer and a request with no signature', async () => {
    const captured = signedSubgraphPost(orders.target, JSON.stringify({ query: '{ whoami }' }), alice);
    expect(await send(orders.target.url, { ...captured, body: JSON.stringify({ query: 'mutation { placeOrder }' }) })).toEqual(refused);
    const admin = Buffer.from(JSON.stringify({ id: 'alice', role: 'ADMIN' })).toString('base64url');
    expect(await send(orders.target.url, { ...captured, headers: { ...captured.headers, [signatureHeaders.viewer]: admin } })).toEqual(refused);
    expect(await send(orders.target.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: PLACE })).toEqual(refused);
    // Untouched, the captured request was still good: each refusal above was the tampering's.
    expect(await send(orders.target.url, captured)).toMatchObject({ status: 200, data: { whoami: 'alice' } });
  });
});

describe('when Redis does not answer', () => {
  it('refuses every signed request with 503, never a 500 and never unchecked', async () => {
    // Nothing listens there; commands fail at once instead of queueing for a reconnect.
    const redis = createRedisClient(`redis://127.0.0.1:${await freePort()}`, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
    redis.on('error', () => undefined);
    const cut = await startSubgraph('orders', createRedisNonceStore(redis));
    try {
      const answer = await send(cut.target.url, signedSubgraphPost(cut.target, PLACE, alice));
      expect(answer).toEqual({ status: 503, code: NONCE_STORE_UNAVAILABLE, data: undefined });
      expect(cut.placed).toBe(0);
      expect(cut.lines.map((line) => line.msg)).toContain('refused a request: its nonce could not be checked for replay (Redis unreachable)');
    } finally {
      await cut.server.close();
      redis.disconnect();
    }
  });
});
