import { randomUUID } from 'node:crypto';
import { issueToken, publishEndedSession, publishTokenVersion, type Viewer } from '@shopgraph/common';
import { freePort, removeKeysWithPrefix, TEST_JWT_SECRET, testRedisUrl } from '@shopgraph/testing';
import express from 'express';
import { Redis } from 'ioredis';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionCheck } from '../auth/session-check.js';
import { serveApp } from '../../test/test-graph.js';
import { useAuth, viewerOf } from './useAuth.js';

const redis = new Redis(testRedisUrl);
const keyPrefix = `test:session:${randomUUID()}:`;
const store = { redis, keyPrefix, tokenTtlMs: 60_000 };
const customer: Viewer = { id: randomUUID(), role: 'CUSTOMER' };
let server: Awaited<ReturnType<typeof serveApp>>;
/** A Redis nobody listens on: no command is ever answered. */
let unreachable: Redis;
let rejected = 0;

beforeAll(async () => {
  unreachable = new Redis(`redis://127.0.0.1:${await freePort()}`, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  unreachable.on('error', () => undefined);
  const app = express();
  const answerViewer: express.RequestHandler = (_req, res) => {
    res.json({ viewer: viewerOf(res) });
  };
  // cacheMs 0: each request asks Redis, so a session ended before it is refused by it.
  app.get('/viewer', useAuth({ jwtSecret: TEST_JWT_SECRET, sessions: new SessionCheck({ redis, keyPrefix, cacheMs: 0 }), onRejected: () => rejected++ }).onRequest, answerViewer);
  app.get('/cached', useAuth({ jwtSecret: TEST_JWT_SECRET, sessions: new SessionCheck({ redis, keyPrefix, cacheMs: 3_600_000 }) }).onRequest, answerViewer);
  app.get('/redis-away', useAuth({ jwtSecret: TEST_JWT_SECRET, sessions: new SessionCheck({ redis: unreachable, keyPrefix, cacheMs: 0 }) }).onRequest, answerViewer);
  server = await serveApp(app);
});

afterAll(async () => {
  await server?.close();
  unreachable?.disconnect();
  await removeKeysWithPrefix(testRedisUrl, keyPrefix);
  await redis.quit();
});

const call = (authorization?: string, path = '/viewer') =>
  fetch(`${server.url}${path}`, { headers: authorization ? { authorization } : {} });

const expectUnauthenticated = async (response: Response, message: string) => {
  expect(response.status).toBe(401);
  expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  expect(await response.json()).toEqual({ errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] });
};

describe('useAuth', () => {
  it('lets a request without a token through as the anonymous viewer', async () => {
    expect(await (await call()).json()).toEqual({ viewer: null });
  });

  it('verifies a bearer token and hands its viewer and session on', async () => {
    const sessionId = randomUUID();
    const token = await issueToken(TEST_JWT_SECRET, customer, { session: { id: sessionId, version: 0 } });
    expect(await (await call(`Bearer ${token}`)).json()).toEqual({ viewer: { ...customer, sessionId } });
    expect(await (await call(`bearer ${token}`)).json()).toEqual({ viewer: { ...customer, sessionId } });
  });

  it.each([
    ['garbage', async () => 'Bearer not-a-token'],
    ['signed with another secret', async () => `Bearer ${await issueToken('another-secret-that-is-32-characters-long', customer)}`],
    ['expired', async () => `Bearer ${await issueToken(TEST_JWT_SECRET, customer, { ttlS: -10 })}`],
    [
      'without a session (issued before sessions could end)',
      async () => {
        const token = await new SignJWT({ role: 'ADMIN' })
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject(customer.id)
          .setIssuer('shopgraph')
          .setAudience('shopgraph')
          .setExpirationTime('1h')
          .sign(new TextEncoder().encode(TEST_JWT_SECRET));
        return `Bearer ${token}`;
      },
    ],
    ['in another scheme', async () => 'Basic dXNlcjpwYXNz'],
    ['empty', async () => 'Bearer '],
  ])('refuses a token that is %s with 401 UNAUTHENTICATED', async (_, header) => {
    const before = rejected;
    await expectUnauthenticated(await call(await header()), 'The bearer token is invalid or has expired.');
    expect(rejected).toBe(before + 1);
  });

  it('refuses the token of a session that was ended, and only that one', async () => {
    const user: Viewer = { id: randomUUID(), role: 'CUSTOMER' };
    const endedId = randomUUID();
    const ended = await issueToken(TEST_JWT_SECRET, user, { session: { id: endedId, version: 0 } });
    const other = await issueToken(TEST_JWT_SECRET, user, { session: { id: randomUUID(), version: 0 } });
    expect((await call(`Bearer ${ended}`)).status).toBe(200);

    await publishEndedSession(store, user.id, endedId, Date.now() + 60_000);
    const before = rejected;
    await expectUnauthenticated(await call(`Bearer ${ended}`), 'The session of this bearer token has ended.');
    expect(rejected).toBe(before + 1);
    expect((await call(`Bearer ${other}`)).status).toBe(200);
  });

  it('refuses every token issued below the user’s token version, and no other user’s', async () => {
    const user: Viewer = { id: randomUUID(), role: 'ADMIN' };
    const old = await issueToken(TEST_JWT_SECRET, user, { session: { id: randomUUID(), version: 0 } });
    const someoneElse = await issueToken(TEST_JWT_SECRET, customer);

    await publishTokenVersion(store, user.id, 1);
    await expectUnauthenticated(await call(`Bearer ${old}`), 'The session of this bearer token has ended.');
    const renewed = await issueToken(TEST_JWT_SECRET, user, { session: { id: randomUUID(), version: 1 } });
    expect((await call(`Bearer ${renewed}`)).status).toBe(200);
    expect((await call(`Bearer ${someoneElse}`)).status).toBe(200);

    // A replica publishing an older version late lowers nothing.
    await publishTokenVersion(store, user.id, 0);
    await expectUnauthenticated(await call(`Bearer ${old}`), 'The session of this bearer token has ended.');
  });

  it('trusts an answer from Redis for cacheMs: the reason a refusal may take that long on another gateway', async () => {
    const user: Viewer = { id: randomUUID(), role: 'CUSTOMER' };
    const token = await issueToken(TEST_JWT_SECRET, user);
    expect((await call(`Bearer ${token}`, '/cached')).status).toBe(200);
    await publishTokenVersion(store, user.id, 1);
    expect((await call(`Bearer ${token}`, '/viewer')).status).toBe(401);
    expect((await call(`Bearer ${token}`, '/cached')).status).toBe(200);
  });

  it('fails closed when Redis does not answer: 503 SESSIONS_UNAVAILABLE for a token, anonymous requests served', async () => {
    const token = await issueToken(TEST_JWT_SECRET, customer);
    const response = await call(`Bearer ${token}`, '/redis-away');
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      errors: [{ message: 'Sessions cannot be checked right now; try again shortly.', extensions: { code: 'SESSIONS_UNAVAILABLE' } }],
    });
    expect(await (await call(undefined, '/redis-away')).json()).toEqual({ viewer: null });
  });
});

