import { randomBytes } from 'node:crypto';
import { createDb, createLogger, readSessionState, verifyToken, type Db, type Viewer } from '@shopgraph/common';
import type { RunningServer } from '@shopgraph/common/subgraph';
import {
  createTestDatabase,
  removeKeysWithPrefix,
  subgraphRequest,
  TEST_JWT_SECRET,
  testEnv,
  testRedisUrl,
  waitFor,
  type TestDatabase,
} from '@shopgraph/testing';
import { eq } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionEnds, users } from './db/schema.js';
import { loadConfig, type UsersConfig } from './env.js';
import { createUsersServer } from './server.js';

/*
 * The users subgraph's side of ending sessions: what its tokens carry, what logout and
 * logoutEverywhere write to Redis, and how a change made by SQL reaches Redis (the trigger, the
 * publisher, the republication at start). The gateway's side: e2e/gateway-sessions.e2e.test.ts.
 */

const sessionPrefix = `sgtest:users-sessions:${randomBytes(4).toString('hex')}:`;
const redis = new Redis(testRedisUrl);
let database: TestDatabase;
let config: UsersConfig;
let server: RunningServer;
let url: string;
let db: Db;

const REGISTER = 'mutation($input: RegisterInput!) { register(input: $input) { token user { id } } }';
const LOGIN = 'mutation($email: String!, $password: String!) { login(email: $email, password: $password) { token } }';
const gql = (query: string, variables: Record<string, unknown> = {}, viewer: Viewer | null = null) =>
  subgraphRequest({ url, name: 'users' }, query, variables, viewer);
const stateOf = (userId: string) => readSessionState(redis, sessionPrefix, userId);
const PATIENCE = { timeoutMs: 10_000, intervalMs: 20 };

async function register() {
  const email = `session-${randomBytes(4).toString('hex')}@example.com`;
  const answer = await gql(REGISTER, { input: { email, password: 'long enough password', name: 'Session' } });
  expect(answer.errors).toBeUndefined();
  const token = answer.data!.register.token as string;
  const verified = (await verifyToken(TEST_JWT_SECRET, token))!;
  // What the gateway sends for this token.
  const viewer: Viewer = { ...verified.viewer, sessionId: verified.session.id };
  return { email, id: verified.viewer.id, token, verified, viewer };
}

const tokenVersionOf = async (userId: string) => (await db.select().from(users).where(eq(users.id, userId)))[0]?.tokenVersion;

beforeAll(async () => {
  database = await createTestDatabase();
  config = loadConfig(testEnv(database.url, { SESSION_REDIS_PREFIX: sessionPrefix, ACCESS_TOKEN_TTL_S: '600' }));
  server = await createUsersServer(config);
  url = await server.listen(0, '127.0.0.1');
  db = createDb({ url: database.url, subgraph: 'users', logger: createLogger('test', 'silent'), max: 2 });
});

afterAll(async () => {
  await db?.$client.end();
  await server?.close();
  await database?.drop();
  await removeKeysWithPrefix(testRedisUrl, sessionPrefix);
  await redis.quit();
});

describe('tokens', () => {
  it('name a new session per sign-in, at the user’s token version, for ACCESS_TOKEN_TTL_S', async () => {
    const customer = await register();
    const login = await gql(LOGIN, { email: customer.email, password: 'long enough password' });
    const again = (await verifyToken(TEST_JWT_SECRET, login.data!.login.token))!;
    expect(customer.verified.session.version).toBe(0);
    expect(again.session.version).toBe(0);
    expect(again.session.id).not.toBe(customer.verified.session.id);
    const { iat } = JSON.parse(Buffer.from(login.data!.login.token.split('.')[1], 'base64url').toString()) as { iat: number };
    expect(again.expiresAt - iat * 1000).toBe(600_000);
  });
});

describe('logout', () => {
  it('records the session of the request as ended, and no other', async () => {
    const customer = await register();
    const answer = await gql('mutation { logout }', {}, customer.viewer);
    expect(answer.errors).toBeUndefined();
    expect(answer.data).toEqual({ logout: true });
    const state = await stateOf(customer.id);
    expect([...state.endedSessions]).toEqual([customer.viewer.sessionId]);
    expect(state.version).toBe(0);
    // Kept as long as a token lives, no longer.
    expect(await redis.pttl(`${sessionPrefix}${customer.id}`)).toBeGreaterThan(0);
    expect(await redis.pttl(`${sessionPrefix}${customer.id}`)).toBeLessThanOrEqual(600_000);
  });

  it.each([
    ['anonymous', null],
    ['without a session (not from a bearer token)', { id: '00000000-0000-4000-8000-000000000001', role: 'CUSTOMER' } as Viewer],
  ])('is refused with UNAUTHENTICATED to a request %s', async (_, viewer) => {
    const answer = await gql('mutation { logout }', {}, viewer);
    expect(answer.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('logoutEverywhere', () => {
  it('raises the token version in the table and in Redis; the next sign-in gets the new one', async () => {
    const customer = await register();
    const answer = await gql('mutation { logoutEverywhere }', {}, customer.viewer);
    expect(answer.data).toEqual({ logoutEverywhere: true });
    expect(await tokenVersionOf(customer.id)).toBe(1);
    expect((await stateOf(customer.id)).version).toBe(1);
    const login = await gql(LOGIN, { email: customer.email, password: 'long enough password' });
    expect((await verifyToken(TEST_JWT_SECRET, login.data!.login.token))!.session.version).toBe(1);
  });
});

describe('changes made by SQL', () => {
  it.each([
    ['a new role', (id: string) => db.update(users).set({ role: 'ADMIN' }).where(eq(users.id, id))],
    ['a new password hash', (id: string) => db.update(users).set({ passwordHash: 'scrypt$16384$8$1$c2FsdA==$a2V5' }).where(eq(users.id, id))],
    ['the deletion of the account', (id: string) => db.delete(users).where(eq(users.id, id))],
  ])('%s raises the token version, recorded and published to Redis', async (_, change) => {
    const customer = await register();
    await change(customer.id);
    await waitFor(async () => (await stateOf(customer.id)).version === 1, { ...PATIENCE, what: 'the raise in Redis' });
    expect(await db.select({ version: sessionEnds.tokenVersion }).from(sessionEnds).where(eq(sessionEnds.userId, customer.id))).toEqual([{ version: 1 }]);
  });

  it('a change of the name ends no session', async () => {
    const customer = await register();
    await db.update(users).set({ name: 'Renamed' }).where(eq(users.id, customer.id));
    expect(await tokenVersionOf(customer.id)).toBe(0);
    expect(await db.select().from(sessionEnds).where(eq(sessionEnds.userId, customer.id))).toEqual([]);
  });

  it('made while no users subgraph listened, or lost by Redis, is published at the next start', async () => {
    const customer = await register();
    await server.close();
    await db.update(users).set({ role: 'ADMIN' }).where(eq(users.id, customer.id));
    // As if Redis had lost the key: nobody published it, and the start must.
    await redis.unlink(`${sessionPrefix}${customer.id}`);
    expect((await stateOf(customer.id)).version).toBe(0);

    server = await createUsersServer(config);
    url = await server.listen(0, '127.0.0.1');
    expect((await stateOf(customer.id)).version).toBe(1);
  });
});
