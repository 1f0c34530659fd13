import { createHash, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { testRedisUrl, waitFor } from '@shopgraph/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, startTestGraph, type TestGraph } from '../../test/test-graph.js';

/** Protection as a client meets it: through a gateway built from env, on real subgraphs and Redis. */

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const prefix = `test:protection:${randomUUID()}:`;

let graph: TestGraph;

beforeAll(async () => {
  graph = await startTestGraph();
});

afterAll(async () => {
  await graph?.close();
  const redis = new Redis(testRedisUrl);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

/** This file's keys only; no response cache, so every request runs the pipeline. */
const gatewayWith = (extra: Record<string, string>) =>
  startGateway(graph.gatewayEnv({ RESPONSE_CACHE: 'false', RATE_LIMIT_REDIS_PREFIX: `${prefix}rl:`, APQ_REDIS_PREFIX: `${prefix}apq:`, ...extra }));

const post = (url: string, body: unknown) =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('rate limits through the gateway', () => {
  it('answers 429 RATE_LIMITED with retry-after past the per-IP limit, and counts it on /metrics', async () => {
    const gateway = await gatewayWith({ RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_IP_POINTS: '3', RATE_LIMIT_IP_DURATION_S: '30' });
    try {
      for (let index = 0; index < 3; index++) {
        expect(await (await post(gateway.url, { query: '{ requestId }' })).json()).toMatchObject({ data: { requestId: expect.any(String) } });
      }
      const refused = await post(gateway.url, { query: '{ requestId }' });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await refused.json()).toMatchObject({ errors: [{ extensions: { code: 'RATE_LIMITED' } }] });
      const metrics = await (await fetch(`${gateway.metricsOrigin}/metrics`)).text();
      expect(metrics).toMatch(/shopgraph_gateway_rate_limited_total\{scope="ip"[^}]*\} 1/);
      expect(metrics).toMatch(/shopgraph_gateway_errors_total\{code="RATE_LIMITED"[^}]*\} 1/);
    } finally {
      await gateway.close();
    }
  });
});

describe('automatic persisted queries', () => {
  it('runs a hash-only request once the operation is registered, on every gateway sharing the Redis', async () => {
    const query = `query Apq${randomUUID().replaceAll('-', '')} { whoami { id } }`;
    const hashOnly = { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(query) } } };
    const [first, second] = await Promise.all([gatewayWith({}), gatewayWith({})]);
    try {
      expect(await (await post(first.url, hashOnly)).json()).toMatchObject({ errors: [{ extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }] });
      expect(await (await post(first.url, { query, ...hashOnly })).json()).toEqual({ data: { whoami: null } });
      expect(await (await post(first.url, hashOnly)).json()).toEqual({ data: { whoami: null } });
      expect(await (await post(second.url, hashOnly)).json()).toEqual({ data: { whoami: null } });
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it('forgets a registered operation after APQ_TTL_S: Redis expires it, and the hash alone is then unknown', async () => {
    const query = `query Expiring${randomUUID().replaceAll('-', '')} { whoami { id } }`;
    const hashOnly = { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(query) } } };
    const apqPrefix = `${prefix}apq-ttl:`;
    const gateway = await gatewayWith({ APQ_REDIS_PREFIX: apqPrefix, APQ_TTL_S: '1' });
    const redis = new Redis(testRedisUrl);
    try {
      expect(await (await post(gateway.url, { query, ...hashOnly })).json()).toEqual({ data: { whoami: null } });
      const [key, ...others] = await redis.keys(`${apqPrefix}*`);
      expect(others).toEqual([]);
      const ttlMs = await redis.pttl(key!);
      expect(ttlMs).toBeGreaterThan(0);
      expect(ttlMs).toBeLessThanOrEqual(1000);
      expect(await (await post(gateway.url, hashOnly)).json()).toEqual({ data: { whoami: null } });

      // Redis's clock, not the test's, decides when the entry is gone.
      await waitFor(async () => (await redis.exists(key!)) === 0, { what: 'Redis to expire the persisted query' });
      expect(await (await post(gateway.url, hashOnly)).json()).toMatchObject({ errors: [{ extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } }] });
      // Registered again, it runs by hash again.
      expect(await (await post(gateway.url, { query, ...hashOnly })).json()).toEqual({ data: { whoami: null } });
      expect(await (await post(gateway.url, hashOnly)).json()).toEqual({ data: { whoami: null } });
    } finally {
      redis.disconnect();
      await gateway.close();
    }
  });
});

describe('persisted operations only', () => {
  const listed = 'query Listed { whoami { id } }';
  let gateway: Awaited<ReturnType<typeof startGateway>>;

  beforeAll(async () => {
    const path = graph.supergraphPath('operations').replace(/\.graphql$/, '.json');
    writeFileSync(path, JSON.stringify({ [sha256(listed)]: listed }));
    gateway = await gatewayWith({ NODE_ENV: 'production', ADMIN_PASSWORD: 'not-the-default-password', PERSISTED_OPERATIONS_PATH: path, PERSISTED_ONLY: 'true', RATE_LIMIT_ENABLED: 'false' });
  });

  afterAll(async () => {
    await gateway?.close();
  });

  it('runs a listed operation by hash alone, with no registration first', async () => {
    const response = await post(gateway.url, { extensions: { persistedQuery: { version: 1, sha256Hash: sha256(listed) } } });
    expect(await response.json()).toEqual({ data: { whoami: null } });
  });

  it('rejects an unknown operation with 400 PERSISTED_QUERY_NOT_ALLOWED', async () => {
    const response = await post(gateway.url, { query: '{ requestId }' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ errors: [{ extensions: { code: 'PERSISTED_QUERY_NOT_ALLOWED' } }] });
  });
});
