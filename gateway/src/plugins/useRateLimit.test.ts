import { randomUUID } from 'node:crypto';
import { issueToken } from '@shopgraph/common';
import { freePort, TEST_JWT_SECRET, testRedisUrl } from '@shopgraph/testing';
import express from 'express';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionCheck } from '../auth/session-check.js';
import { serveApp } from '../../test/test-graph.js';
import { useAuth } from './useAuth.js';
import { useRateLimit, type RateLimitOptions, type RateLimitScope } from './useRateLimit.js';

const redis = new Redis(testRedisUrl);
const keyPrefix = `test:rate-limit:${randomUUID()}:`;
const limited: RateLimitScope[] = [];
let registry: Registry;
let server: Awaited<ReturnType<typeof serveApp>>;

async function serveLimited({ leasePercent = 1, ...options }: Omit<RateLimitOptions, 'registry' | 'onLimited' | 'leasePercent'> & { leasePercent?: number }) {
  const app = express();
  // The tests stand in for clients at many addresses.
  app.set('trust proxy', 'loopback');
  registry = new Registry();
  app.use(
    '/graphql',
    useAuth({ jwtSecret: TEST_JWT_SECRET, sessions: new SessionCheck({ redis, keyPrefix: `${keyPrefix}session:`, cacheMs: 0 }) }).onRequest,
    useRateLimit({ ...options, leasePercent, registry, onLimited: (scope) => limited.push(scope) }).onRequest,
    (_req, res) => {
      res.json({ data: { ok: true } });
    },
  );
  return serveApp(app);
}

beforeAll(async () => {
  // Connected before the first request, which would otherwise be counted by the in-process fallback.
  await redis.ping();
  server = await serveLimited({ redis, keyPrefix, perIp: { points: 3, durationS: 60 }, perUser: { points: 2, durationS: 60 } });
});

afterAll(async () => {
  await server?.close();
  const keys = await redis.keys(`${keyPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

const send = (url: string, ip: string, token?: string) =>
  fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': ip, ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: '{"query":"{ ok }"}',
  });

describe('useRateLimit', () => {
  it('answers 429 RATE_LIMITED with retry-after once an IP has spent its points', async () => {
    for (let index = 0; index < 3; index++) expect((await send(server.url, '203.0.113.1')).status).toBe(200);
    const refused = await send(server.url, '203.0.113.1');
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await refused.json()).toEqual({
      errors: [{ message: `Too many requests: try again in ${retryAfter} s.`, extensions: { code: 'RATE_LIMITED', retryAfter } }],
    });
    // Another address is not affected.
    expect((await send(server.url, '203.0.113.2')).status).toBe(200);
  });

  it('limits a signed-in user across addresses, and counts refusals by scope', async () => {
    const token = await issueToken(TEST_JWT_SECRET, { id: `user-${randomUUID()}`, role: 'CUSTOMER' });
    const before = limited.length;
    expect((await send(server.url, '198.51.100.1', token)).status).toBe(200);
    expect((await send(server.url, '198.51.100.2', token)).status).toBe(200);
    const refused = await send(server.url, '198.51.100.3', token);
    expect(refused.status).toBe(429);
    expect(limited.slice(before)).toEqual(['user']);
    const metric = await registry.getSingleMetric('shopgraph_gateway_rate_limited_total')!.get();
    expect(metric.values).toEqual(expect.arrayContaining([expect.objectContaining({ labels: { scope: 'user' }, value: 1 })]));
  });

  it('shares the count between instances through Redis', async () => {
    const other = await serveLimited({ redis, keyPrefix, perIp: { points: 3, durationS: 60 }, perUser: { points: 2, durationS: 60 } });
    try {
      expect((await send(server.url, '192.0.2.10')).status).toBe(200);
      expect((await send(other.url, '192.0.2.10')).status).toBe(200);
      expect((await send(server.url, '192.0.2.10')).status).toBe(200);
      expect((await send(other.url, '192.0.2.10')).status).toBe(429);
    } finally {
      await other.close();
    }
  });

  it('takes points from Redis a lease at a time, and refuses in memory once they are spent', async () => {
    // 10 % of 50: one Redis round trip per 5 requests.
    const leased = await serveLimited({ redis, keyPrefix, perIp: { points: 50, durationS: 60 }, perUser: { points: 50, durationS: 60 }, leasePercent: 10 });
    const sharedCount = async () => Number(await redis.get(`${keyPrefix}ip:192.0.2.30`));
    try {
      for (let index = 0; index < 12; index++) expect((await send(leased.url, '192.0.2.30')).status).toBe(200);
      expect(await sharedCount()).toBe(15);
      const statuses: number[] = [];
      for (let index = 0; index < 45; index++) statuses.push((await send(leased.url, '192.0.2.30')).status);
      expect(statuses.filter((status) => status === 200)).toHaveLength(38);
      expect(statuses.slice(38).every((status) => status === 429)).toBe(true);
      // The lease that went past the limit was the last round trip: refusals cost Redis nothing.
      expect(await sharedCount()).toBe(55);
    } finally {
      await leased.close();
    }
  });

  it('never lets a client spread over instances past its limit, and refuses at most a lease early on each', async () => {
    const options = { redis, keyPrefix, perIp: { points: 40, durationS: 60 }, perUser: { points: 40, durationS: 60 }, leasePercent: 10 };
    const [first, second] = await Promise.all([serveLimited(options), serveLimited(options)]);
    try {
      const statuses = await Promise.all(
        Array.from({ length: 60 }, (_, index) => send((index % 2 === 0 ? first : second).url, '192.0.2.40').then((response) => response.status)),
      );
      const allowed = statuses.filter((status) => status === 200).length;
      expect(allowed).toBeLessThanOrEqual(40);
      expect(allowed).toBeGreaterThanOrEqual(40 - 2 * (4 - 1));
      expect(statuses.filter((status) => status !== 200).every((status) => status === 429)).toBe(true);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('keeps limiting, per process, while Redis is unreachable', async () => {
    const down = new Redis(`redis://127.0.0.1:${await freePort()}`, { lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
    down.on('error', () => undefined);
    const isolated = await serveLimited({ redis: down, keyPrefix, perIp: { points: 2, durationS: 60 }, perUser: { points: 2, durationS: 60 } });
    try {
      expect((await send(isolated.url, '192.0.2.20')).status).toBe(200);
      expect((await send(isolated.url, '192.0.2.20')).status).toBe(200);
      expect((await send(isolated.url, '192.0.2.20')).status).toBe(429);
    } finally {
      await isolated.close();
      down.disconnect();
    }
  });
});
