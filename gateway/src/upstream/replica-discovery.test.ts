import { createLogger, signRequest } from '@shopgraph/common';
import { TEST_GATEWAY_SECRET } from '@shopgraph/testing';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../env.js';
import { ReplicaDiscovery } from './replica-discovery.js';
import { eventually, startCatalogReplica, type TestReplica } from '../../test/test-replicas.js';
import { createUpstreamMetrics } from './upstream-metrics.js';
import { SubgraphUpstream } from './upstream.js';

/**
 * Three catalog replicas on one port of three loopback addresses, as three pods behind a headless
 * Service. The resolver is the only stand-in: it answers what each test says the DNS holds now.
 */
let a: TestReplica;
let b: TestReplica;
let c: TestReplica;
let port: number;

beforeAll(async () => {
  a = await startCatalogReplica('a', { host: '127.0.0.1' });
  port = Number(new URL(a.url).port);
  [b, c] = await Promise.all([startCatalogReplica('b', { host: '127.0.0.2', port }), startCatalogReplica('c', { host: '127.0.0.3', port })]);
});

afterAll(async () => {
  await Promise.all([a, b, c].map((replica) => replica?.close()));
});

const urlOf = (address: string) => `http://${address}:${port}/graphql`;

let answer: string[] | Error = [];
let registry: Registry;
let upstream: SubgraphUpstream;
let discovery: ReplicaDiscovery;

/** An upstream that starts on replica a alone; each `discovery.refresh()` applies `answer`. */
function discovered() {
  const { defaults } = loadConfig({ SUBGRAPH_HEALTH_CHECK_INTERVAL_MS: '0' }).upstream;
  registry = new Registry();
  const logger = createLogger('test', 'silent');
  upstream = new SubgraphUpstream({
    subgraph: 'catalog',
    replicas: [{ url: urlOf('127.0.0.1'), weight: 1 }],
    // A call held by a test ends when the test releases it, never by this deadline.
    policy: { ...defaults, dedupe: false, timeoutMs: 60_000 },
    metrics: createUpstreamMetrics(registry),
    logger,
    probe: async () => true,
  });
  discovery = new ReplicaDiscovery({
    upstream,
    url: `http://catalog-headless.shopgraph.svc.cluster.local:${port}/graphql`,
    refreshMs: 60_000,
    logger,
    resolve: async () => {
      if (answer instanceof Error) throw answer;
      return answer;
    },
  });
}

afterEach(() => {
  discovery?.close();
  upstream?.close();
});

/** One signed query through the upstream; the name of the replica that answered. */
async function ask(query = '{ replica }'): Promise<string> {
  const body = JSON.stringify({ query });
  const answer = await upstream.fetch({ body, viewerKey: '', idempotent: true }, (url) => ({
    'content-type': 'application/json',
    ...signRequest(TEST_GATEWAY_SECRET, { method: 'POST', url, audience: 'catalog', body }, null),
  }));
  const { data } = JSON.parse(answer.body) as { data: Record<string, string> };
  return Object.values(data)[0]!;
}

async function askMany(total: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let sent = 0; sent < total; sent++) {
    const name = await ask();
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

describe('replica discovery', () => {
  it('sends traffic to an address a refresh adds, each replica at the resolved address on the same port and path', async () => {
    discovered();
    answer = ['127.0.0.1'];
    await discovery.refresh();
    expect(await askMany(4)).toEqual({ a: 4 });
    answer = ['127.0.0.2', '127.0.0.1'];
    await discovery.refresh();
    expect(upstream.replicas.map((replica) => replica.url)).toEqual([urlOf('127.0.0.1'), urlOf('127.0.0.2')]);
    expect(await askMany(6)).toEqual({ a: 3, b: 3 });
  });

  it('stops traffic to an address a refresh removes, lets its call in flight finish, then drops its metric series', async () => {
    discovered();
    answer = ['127.0.0.1', '127.0.0.2', '127.0.0.3'];
    await discovery.refresh();
    // Round robin: the four calls went to a b c a, so b takes the fifth.
    await askMany(4);
    const hitsOfB = b.hits + 1;
    const heldOnB = b.heldRuns + 1;
    // Held by b until the refresh has removed it and traffic has moved on.
    const inFlight = ask('{ held }');
    await eventually(() => b.heldRuns === heldOnB);
    answer = ['127.0.0.1', '127.0.0.3'];
    await discovery.refresh();
    expect(await askMany(6)).toEqual({ a: 3, c: 3 });
    expect(b.hits).toBe(hitsOfB);
    expect(await registry.metrics()).toContain(`replica="${urlOf('127.0.0.2')}"`);
    b.release();
    expect(await inFlight).toBe('b');
    expect(await registry.metrics()).not.toContain('127.0.0.2');
  });

  it('keeps the last replicas when the resolver fails or finds no address', async () => {
    discovered();
    answer = ['127.0.0.1', '127.0.0.2'];
    await discovery.refresh();
    const before = upstream.replicas;
    answer = new Error('queryA ETIMEOUT catalog-headless.shopgraph.svc.cluster.local');
    await discovery.refresh();
    expect(upstream.replicas).toBe(before);
    answer = [];
    await discovery.refresh();
    expect(upstream.replicas).toBe(before);
    expect(await askMany(4)).toEqual({ a: 2, b: 2 });
  });

  it('keeps the state of a replica that stays: an ejected one is still out after a refresh', async () => {
    discovered();
    answer = ['127.0.0.1', '127.0.0.3'];
    await discovery.refresh();
    await c.kill();
    try {
      // Every call lands on a, by retry when c refuses, until c's refusals eject it.
      await eventually(async () => (await ask()) === 'a' && upstream.replicas[1]!.ejected);
      const ejected = upstream.replicas[1]!;
      answer = ['127.0.0.3', '127.0.0.2', '127.0.0.1'];
      await discovery.refresh();
      expect(upstream.replicas[2]).toBe(ejected);
      expect(ejected.ejected).toBe(true);
      expect(await askMany(4)).toEqual({ a: 2, b: 2 });
    } finally {
      await c.restart();
    }
  });
});
