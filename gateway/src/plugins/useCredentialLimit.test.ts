import { randomUUID } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { createLogger } from '@shopgraph/common';
import { removeKeysWithPrefix, testRedisUrl } from '@shopgraph/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayContext } from '../context.js';
import { useCredentialLimit } from './useCredentialLimit.js';

const redis = new Redis(testRedisUrl);
const keyPrefix = `test:credential-limit:${randomUUID()}:`;
const calls: string[] = [];
const server = new ApolloServer<GatewayContext>({
  typeDefs: `type Query { ok: Boolean }
    type Mutation { login(email: String!): Boolean, register(email: String!): Boolean, placeOrder: Boolean }`,
  resolvers: {
    Mutation: {
      login: () => (calls.push('login'), true),
      register: () => (calls.push('register'), true),
      placeOrder: () => (calls.push('placeOrder'), true),
    },
  },
  plugins: [...useCredentialLimit({ redis, keyPrefix, fields: ['login', 'register'], perIp: { points: 4, durationS: 600 } }).apolloPlugins],
});

// Connected first, as the gateway does: an attempt counted before would count in the in-memory fallback.
beforeAll(() => redis.ping());

afterAll(async () => {
  await server.stop();
  await removeKeysWithPrefix(testRedisUrl, keyPrefix);
  await redis.quit();
});

const from = (clientIp: string, query: string) =>
  server.executeOperation({ query }, { contextValue: { clientIp, viewer: null, requestId: randomUUID(), logger: createLogger('test', 'silent') } });

describe('useCredentialLimit', () => {
  it('counts login and register alike per address, aliases and fragments included, then answers 429 RATE_LIMITED with retry-after before any resolver runs', async () => {
    const ip = '192.0.2.1';
    expect((await from(ip, 'mutation { login(email: "a@example.com") }')).http.status).toBeUndefined();
    expect((await from(ip, 'mutation { register(email: "b@example.com") }')).http.status).toBeUndefined();
    expect((await from(ip, 'mutation { a: login(email: "c@example.com") ...F } fragment F on Mutation { register(email: "d@example.com") }')).http.status).toBeUndefined();
    expect(calls.filter((call) => call !== 'placeOrder')).toHaveLength(4);

    const refused = await from(ip, 'mutation { register(email: "e@example.com") }');
    expect(refused.http.status).toBe(429);
    expect(Number(refused.http.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.body.kind === 'single' && refused.body.singleResult.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    expect(calls.filter((call) => call !== 'placeOrder')).toHaveLength(4);
  });

  it('leaves other addresses, other mutations and queries alone', async () => {
    expect((await from('192.0.2.1', 'mutation { placeOrder }')).body).toMatchObject({ singleResult: { data: { placeOrder: true } } });
    expect((await from('192.0.2.1', '{ ok }')).http.status).toBeUndefined();
    expect((await from('192.0.2.2', 'mutation { login(email: "a@example.com") }')).body).toMatchObject({ singleResult: { data: { login: true } } });
  });
});
