import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../../test/test-graph.js';
import {
  eventually,
  replicaList,
  startCatalogReplica,
  startFailingReplica,
  startReviews,
  sumMetric,
  upstreamGatewayEnv,
  writeSupergraph,
  type TestReplica,
} from '../../test/test-replicas.js';

let a: TestReplica;
let b: TestReplica;
let c: TestReplica;
let reviews: Awaited<ReturnType<typeof startReviews>>;
let supergraph: ReturnType<typeof writeSupergraph>;

beforeAll(async () => {
  [a, b, c, reviews] = await Promise.all([startCatalogReplica('a'), startCatalogReplica('b'), startCatalogReplica('c'), startReviews()]);
  supergraph = writeSupergraph();
});

afterAll(async () => {
  await Promise.all([a, b, c, reviews].map((server) => server?.close()));
  supergraph?.remove();
});

type Gateway = Awaited<ReturnType<typeof startGateway>>;

/** For the tests that send hundreds of requests: colleagues' suites may share the machine's two cores. */
const MANY_REQUESTS_TIMEOUT_MS = 120_000;

/** A gateway on the three catalog replicas; deduplication off, since these tests send identical queries at once. */
const gatewayWith = (extra: Record<string, string>) =>
  startGateway(
    upstreamGatewayEnv(supergraph.path, {
      SUBGRAPH_URL_REVIEWS: reviews.url,
      SUBGRAPH_REPLICAS_CATALOG: replicaList([a, b, c]),
      SUBGRAPH_DEDUPE: 'false',
      ...extra,
    }),
  );

async function askReplica(gateway: Gateway, headers: Record<string, string> = {}): Promise<string> {
  const response = await fetch(gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query: '{ replica }' }),
  });
  const body = (await response.json()) as { data?: { replica: string | null }; errors?: unknown[] };
  if (!body.data?.replica) throw new Error(`no replica answered: ${JSON.stringify(body)}`);
  return body.data.replica;
}

/** Sends `total` queries, `concurrency` at a time, and counts which replica answered each. */
async function shares(gateway: Gateway, total: number, concurrency = 6): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  let sent = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (sent < total) {
        sent++;
        const name = await askReplica(gateway);
        counts[name] = (counts[name] ?? 0) + 1;
      }
    }),
  );
  return counts;
}

describe('replica balancing', () => {
  it('round robin gives every replica the same share', async () => {
    const gateway = await gatewayWith({ SUBGRAPH_BALANCER_CATALOG: 'round-robin' });
    try {
      expect(await shares(gateway, 150)).toEqual({ a: 50, b: 50, c: 50 });
    } finally {
      await gateway.close();
    }
  }, MANY_REQUESTS_TIMEOUT_MS);

  it('smooth weighted round robin: weights 3:2:1 give shares within ±5 % over 600 requests, counted per replica on /metrics', async () => {
    const gateway = await gatewayWith({ SUBGRAPH_REPLICAS_CATALOG: replicaList([a, b, c], [3, 2, 1]), SUBGRAPH_BALANCER: 'weighted-round-robin' });
    try {
      const counts = await shares(gateway, 600);
      for (const [name, weight] of [['a', 3], ['b', 2], ['c', 1]] as const) {
        expect(Math.abs((counts[name] ?? 0) / 600 - weight / 6)).toBeLessThanOrEqual(0.05);
      }
      const metricsUrl = `${gateway.metricsOrigin}/metrics`;
      for (const replica of [a, b, c]) {
        const counted = await sumMetric(metricsUrl, 'shopgraph_gateway_subgraph_requests_total', { subgraph: 'catalog', replica: replica.url });
        expect(counted).toBe(counts[replica.name]);
      }
      expect(await sumMetric(metricsUrl, 'shopgraph_gateway_subgraph_fetch_duration_seconds_count', { subgraph: 'catalog' })).toBe(600);
    } finally {
      await gateway.close();
    }
  }, MANY_REQUESTS_TIMEOUT_MS);

  it('least-connections sends quick queries to the idle replica while the other works on a slow one', async () => {
    const gateway = await gatewayWith({
      SUBGRAPH_REPLICAS_CATALOG: replicaList([a, b]),
      SUBGRAPH_BALANCER_CATALOG: 'least-connections',
      SUBGRAPH_TIMEOUT_MS: '60000',
    });
    try {
      const heldBefore = { a: a.heldRuns, b: b.heldRuns };
      // Held by its replica until every quick query has been answered.
      const held = fetch(gateway.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ held }' }),
      }).then(async (response) => ((await response.json()) as { data: { held: string } }).data.held);
      await eventually(() => a.heldRuns + b.heldRuns > heldBefore.a + heldBefore.b);
      const holder = a.heldRuns > heldBefore.a ? a : b;
      const quick: string[] = [];
      for (let index = 0; index < 10; index++) quick.push(await askReplica(gateway));
      holder.release();
      expect(await held).toBe(holder.name);
      expect(quick).toEqual(Array(10).fill(holder === a ? 'b' : 'a'));
    } finally {
      await gateway.close();
    }
  });

  it('ip-hash keeps each client IP on one replica; when that replica dies only its clients move, and they return after', async () => {
    const gateway = await gatewayWith({
      SUBGRAPH_BALANCER_CATALOG: 'ip-hash',
      TRUST_PROXY: 'loopback',
      SUBGRAPH_EJECT_AFTER_FAILURES: '1',
      SUBGRAPH_EJECT_BASE_MS: '300',
    });
    const ips = Array.from({ length: 40 }, (_, index) => `10.0.${index}.7`);
    const placeAll = async () => {
      const placement: Record<string, string> = {};
      for (const ip of ips) {
        const answers = new Set<string>();
        for (let round = 0; round < 3; round++) answers.add(await askReplica(gateway, { 'x-forwarded-for': ip }));
        expect([...answers]).toHaveLength(1);
        placement[ip] = [...answers][0]!;
      }
      return placement;
    };
    try {
      const before = await placeAll();
      // All three replicas get clients: the ring spreads them.
      expect(new Set(Object.values(before))).toEqual(new Set(['a', 'b', 'c']));

      await c.kill();
      const during = await placeAll();
      for (const ip of ips) {
        if (before[ip] === 'c') expect(['a', 'b']).toContain(during[ip]);
        else expect(during[ip]).toBe(before[ip]);
      }

      await c.restart();
      await eventually(async () => (await askReplica(gateway, { 'x-forwarded-for': ips.find((ip) => before[ip] === 'c')! })) === 'c');
      expect(await placeAll()).toEqual(before);
    } finally {
      await c.restart();
      await gateway.close();
    }
  }, MANY_REQUESTS_TIMEOUT_MS);

  it('ejects a killed replica after consecutive failures, moves its traffic, and probes it back in after a restart', async () => {
    const gateway = await gatewayWith({ SUBGRAPH_EJECT_AFTER_FAILURES: '2', SUBGRAPH_EJECT_BASE_MS: '300' });
    const metricsUrl = `${gateway.metricsOrigin}/metrics`;
    try {
      await c.kill();
      // Queries that meet the dead replica are retried on another: clients see no error.
      const answers: string[] = [];
      for (let index = 0; index < 12; index++) answers.push(await askReplica(gateway));
      expect(answers).not.toContain('c');
      expect(await sumMetric(metricsUrl, 'shopgraph_gateway_subgraph_ejections_total', { replica: c.url })).toBeGreaterThanOrEqual(1);
      // Ejected: later queries never try it.
      const triedBefore = await sumMetric(metricsUrl, 'shopgraph_gateway_subgraph_requests_total', { replica: c.url });
      for (let index = 0; index < 10; index++) await askReplica(gateway);
      expect(await sumMetric(metricsUrl, 'shopgraph_gateway_subgraph_requests_total', { replica: c.url })).toBe(triedBefore);
      expect(await sumMetric(metricsUrl, 'shopgraph_gateway_subgraph_replica_up', { replica: c.url })).toBe(0);

      await c.restart();
      await eventually(async () => (await askReplica(gateway)) === 'c');
      expect(await sumMetric(metricsUrl, 'shopgraph_gateway_subgraph_replica_up', { replica: c.url })).toBe(1);
    } finally {
      await c.restart();
      await gateway.close();
    }
  });

  it('active health checks take a dead replica out before any query reaches it, and put it back when it answers', async () => {
    const gateway = await gatewayWith({ SUBGRAPH_HEALTH_CHECK_INTERVAL_MS: '100', SUBGRAPH_EJECT_AFTER_FAILURES: '1000' });
    const metricsUrl = `${gateway.metricsOrigin}/metrics`;
    const up = () => sumMetric(metricsUrl, 'shopgraph_gateway_subgraph_replica_up', { replica: c.url });
    try {
      await c.kill();
      await eventually(async () => (await up()) === 0);
      const triedBefore = await sumMetric(metricsUrl, 'shopgraph_gateway_subgraph_requests_total', { replica: c.url });
      const answers: string[] = [];
      for (let index = 0; index < 12; index++) answers.push(await askReplica(gateway));
      expect(new Set(answers)).toEqual(new Set(['a', 'b']));
      expect(await sumMetric(metricsUrl, 'shopgraph_gateway_subgraph_requests_total', { replica: c.url })).toBe(triedBefore);

      await c.restart();
      await eventually(async () => (await up()) === 1);
      expect(await shares(gateway, 30, 1)).toEqual({ a: 10, b: 10, c: 10 });
    } finally {
      await c.restart();
      await gateway.close();
    }
  });

  it('disregards health checks when no replica passes them, so a broken /health alone takes nothing down', async () => {
    const unhealthy = await startFailingReplica(a.url, false);
    unhealthy.healthFailing = true;
    const gateway = await gatewayWith({ SUBGRAPH_REPLICAS_CATALOG: unhealthy.url, SUBGRAPH_HEALTH_CHECK_INTERVAL_MS: '100' });
    try {
      await eventually(() => unhealthy.healthChecks >= 2);
      for (let index = 0; index < 5; index++) expect(await askReplica(gateway)).toBe('a');
      expect(unhealthy.hits).toBe(5);
    } finally {
      await gateway.close();
      await unhealthy.close();
    }
  });
});
