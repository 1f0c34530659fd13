import { issueToken } from '@shopgraph/common';
import { freePort, gatewayRequest, TEST_JWT_SECRET, type GraphQLResponse } from '@shopgraph/testing';
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
  type FailingReplica,
  type TestReplica,
} from '../../test/test-replicas.js';

/** What must never reach a client: where the subgraphs run, stacks, low-level causes. */
const LEAKS = /127\.0\.0\.1|localhost|https?:|stacktrace|serviceName|ECONNREFUSED|fetch failed/i;

let a: TestReplica;
let b: TestReplica;
let reviews: Awaited<ReturnType<typeof startReviews>>;
let supergraph: ReturnType<typeof writeSupergraph>;
const failing: FailingReplica[] = [];

beforeAll(async () => {
  [a, b, reviews] = await Promise.all([startCatalogReplica('a'), startCatalogReplica('b'), startReviews()]);
  supergraph = writeSupergraph();
});

afterAll(async () => {
  await Promise.all([a, b, reviews, ...failing].map((server) => server?.close()));
  supergraph?.remove();
});

const failingReplica = async (target: string) => {
  const replica = await startFailingReplica(target);
  failing.push(replica);
  return replica;
};

const gatewayWith = (extra: Record<string, string>) =>
  startGateway(upstreamGatewayEnv(supergraph.path, { SUBGRAPH_URL_CATALOG: a.url, SUBGRAPH_URL_REVIEWS: reviews.url, ...extra }));

const codesOf = (response: GraphQLResponse) => response.errors?.map((error) => error.extensions?.code);

describe('a subgraph that is down', () => {
  it.each([
    ['nobody listens', async () => (await reviews.kill(), reviews.url)],
    ['its load balancer answers 503', async () => (await failingReplica(reviews.url)).url],
  ])('degrades the answer when %s: 200, the other subgraphs data, null for its fields, SUBGRAPH_UNAVAILABLE', async (_, downUrl) => {
    const gateway = await gatewayWith({ SUBGRAPH_URL_REVIEWS: await downUrl() });
    try {
      const response = await gatewayRequest(gateway.url, '{ replica product(id: "3") { id name rating } reviewsReplica }');
      expect(response.status).toBe(200);
      expect(response.data).toEqual({ replica: 'a', product: { id: '3', name: 'Product 3', rating: null }, reviewsReplica: null });
      expect(response.errors!.length).toBeGreaterThanOrEqual(1);
      for (const error of response.errors!) {
        expect(error).toEqual({ message: expect.stringMatching(/unavailable/), extensions: { code: 'SUBGRAPH_UNAVAILABLE' } });
      }
      expect(JSON.stringify(response)).not.toMatch(LEAKS);
    } finally {
      await gateway.close();
      await reviews.restart();
    }
  });
});

describe('a slow subgraph', () => {
  it('times out with SUBGRAPH_TIMEOUT after its own timeout, the other subgraphs answering', async () => {
    // Catalog's call is never released: only its deadline ends it. Reviews keeps the default one.
    // On replica b, so the call it leaves waiting is counted by no other test.
    const gateway = await gatewayWith({ SUBGRAPH_URL_CATALOG: b.url, SUBGRAPH_TIMEOUT_MS_CATALOG: '2000' });
    try {
      const response = await gatewayRequest(gateway.url, '{ held reviewsReplica }');
      expect(response).toMatchObject({ status: 200, data: { held: null, reviewsReplica: 'reviews' } });
      expect(response.errors).toEqual([
        { message: expect.stringMatching(/did not answer within 2000 ms/), extensions: { code: 'SUBGRAPH_TIMEOUT' } },
      ]);
      expect(JSON.stringify(response)).not.toMatch(LEAKS);
    } finally {
      await gateway.close();
    }
  });

  it('answers other requests while a subgraph call is held, and the held one once it answers', async () => {
    const gateway = await gatewayWith({ SUBGRAPH_TIMEOUT_MS: '60000' });
    try {
      const heldBefore = a.heldRuns;
      let heldSettled = false;
      const held = gatewayRequest(gateway.url, '{ held reviewsReplica }').finally(() => {
        heldSettled = true;
      });
      await eventually(() => a.heldRuns > heldBefore);
      expect(await gatewayRequest(gateway.url, '{ reviewsReplica }')).toMatchObject({ data: { reviewsReplica: 'reviews' } });
      expect(await gatewayRequest(gateway.url, '{ replica }')).toMatchObject({ data: { replica: 'a' } });
      expect(heldSettled).toBe(false);

      a.release();
      expect(await held).toEqual({ status: 200, data: { held: 'a', reviewsReplica: 'reviews' } });
    } finally {
      await gateway.close();
    }
  });
});

describe('retries', () => {
  it('never retries a mutation, and retries a query on another replica', async () => {
    const broken = await failingReplica(a.url);
    const gateway = await gatewayWith({
      SUBGRAPH_REPLICAS_CATALOG: replicaList([broken, b]),
      SUBGRAPH_BREAKER_FAILURES: '1000',
    });
    const metricsUrl = `${gateway.metricsOrigin}/metrics`;
    try {
      const callsBefore = broken.hits + b.hits;
      const mutations = [];
      for (let index = 0; index < 10; index++) mutations.push(await gatewayRequest(gateway.url, 'mutation { bump }'));
      // Each mutation reached exactly one replica; those that met the broken one failed.
      expect(broken.hits + b.hits - callsBefore).toBe(10);
      expect(mutations.filter((response) => response.data?.bump === 'b')).toHaveLength(10 - broken.hits);
      expect(mutations.flatMap(codesOf).filter(Boolean)).toEqual(Array(broken.hits).fill('SUBGRAPH_UNAVAILABLE'));
      expect(await sumMetric(metricsUrl, 'shopgraph_gateway_subgraph_retries_total')).toBe(0);

      const brokenBefore = broken.hits;
      for (let index = 0; index < 10; index++) {
        expect(await gatewayRequest(gateway.url, '{ replica }')).toEqual({ status: 200, data: { replica: 'b' } });
      }
      const queriesOnBroken = broken.hits - brokenBefore;
      expect(queriesOnBroken).toBeGreaterThan(0);
      expect(await sumMetric(metricsUrl, 'shopgraph_gateway_subgraph_retries_total', { subgraph: 'catalog' })).toBe(queriesOnBroken);
    } finally {
      await gateway.close();
    }
  });

  it('sends a mutation to another replica when the first refused the connection: nothing was sent', async () => {
    const dead = { url: `http://127.0.0.1:${await freePort()}/graphql` };
    const gateway = await gatewayWith({
      SUBGRAPH_REPLICAS_CATALOG: replicaList([dead, b]),
      // Keep the dead replica in rotation, so mutations keep meeting it first.
      SUBGRAPH_HEALTH_CHECK_INTERVAL_MS: '0',
      SUBGRAPH_EJECT_AFTER_FAILURES: '1000',
      SUBGRAPH_BREAKER_FAILURES: '1000',
    });
    try {
      const callsBefore = b.hits;
      for (let index = 0; index < 6; index++) {
        expect(await gatewayRequest(gateway.url, 'mutation { bump }')).toEqual({ status: 200, data: { bump: 'b' } });
      }
      expect(b.hits - callsBefore).toBe(6);
      expect(await sumMetric(`${gateway.metricsOrigin}/metrics`, 'shopgraph_gateway_subgraph_retries_total', { subgraph: 'catalog' })).toBeGreaterThan(0);
    } finally {
      await gateway.close();
    }
  });

  it('stays within the retry budget when every replica fails: at most 20 % extra calls', async () => {
    const [first, second] = await Promise.all([failingReplica(a.url), failingReplica(b.url)]);
    const gateway = await gatewayWith({
      SUBGRAPH_REPLICAS_CATALOG: replicaList([first!, second!]),
      SUBGRAPH_RETRY_BUDGET_RATIO: '0.2',
      SUBGRAPH_RETRY_BUDGET_MIN_PER_SECOND: '0',
      SUBGRAPH_BREAKER_FAILURES: '1000',
    });
    const metricsUrl = `${gateway.metricsOrigin}/metrics`;
    try {
      for (let index = 0; index < 50; index++) {
        const response = await gatewayRequest(gateway.url, '{ replica }');
        // Nothing of the operation could be answered: 503, as useUnavailableStatus says.
        expect(response).toMatchObject({ status: 503, data: { replica: null } });
        expect(codesOf(response)).toEqual(['SUBGRAPH_UNAVAILABLE']);
      }
      const calls = first!.hits + second!.hits;
      const retries = await sumMetric(metricsUrl, 'shopgraph_gateway_subgraph_retries_total', { subgraph: 'catalog' });
      expect(calls).toBe(50 + retries);
      expect(retries).toBeGreaterThan(0);
      expect(retries).toBeLessThanOrEqual(10);
      expect(await sumMetric(metricsUrl, 'shopgraph_gateway_subgraph_retries_denied_total', { subgraph: 'catalog' })).toBe(50 - retries);
    } finally {
      await gateway.close();
    }
  });
});

describe('in-flight deduplication', () => {
  it('sends identical concurrent queries of one viewer upstream once, and never shares across viewers', async () => {
    const gateway = await gatewayWith({ SUBGRAPH_TIMEOUT_MS: '60000' });
    const deduplicated = () => sumMetric(`${gateway.metricsOrigin}/metrics`, 'shopgraph_gateway_subgraph_deduplicated_total', { subgraph: 'catalog' });
    try {
      // The first call is held at the replica until all twenty have arrived at the gateway.
      const before = a.heldRuns;
      const answers = Promise.all(Array.from({ length: 20 }, () => gatewayRequest(gateway.url, '{ held }')));
      await eventually(async () => a.heldRuns - before === 1 && (await deduplicated()) === 19);
      a.release();
      expect((await answers).map((answer) => answer.data)).toEqual(Array(20).fill({ held: 'a' }));
      expect(a.heldRuns - before).toBe(1);

      const tokens = await Promise.all(['user-1', 'user-2'].map((id) => issueToken(TEST_JWT_SECRET, { id, role: 'CUSTOMER' })));
      const beforeViewers = a.heldRuns;
      const perViewer = Promise.all(tokens.flatMap((token) => Array.from({ length: 5 }, () => gatewayRequest(gateway.url, '{ held }', {}, token))));
      await eventually(async () => a.heldRuns - beforeViewers === 2 && (await deduplicated()) === 19 + 8);
      a.release();
      expect((await perViewer).map((answer) => answer.data)).toEqual(Array(10).fill({ held: 'a' }));
      expect(a.heldRuns - beforeViewers).toBe(2);
    } finally {
      await gateway.close();
    }
  });
});

describe('circuit breaker', () => {
  // How long it stays open is the breaker's own unit test's, on a clock it is given
  // (circuit-breaker.test.ts); here, what a client sees in each state.
  const breakerGateway = (flaky: FailingReplica, openMs: string) =>
    gatewayWith({ SUBGRAPH_URL_CATALOG: flaky.url, SUBGRAPH_RETRIES: '0', SUBGRAPH_BREAKER_FAILURES: '3', SUBGRAPH_BREAKER_OPEN_MS: openMs });
  const stateOf = (gateway: { metricsOrigin: string }, flaky: FailingReplica) =>
    sumMetric(`${gateway.metricsOrigin}/metrics`, 'shopgraph_gateway_subgraph_breaker_state', { replica: flaky.url });

  it('opens after consecutive failures and then refuses without calling the replica', async () => {
    const flaky = await failingReplica(a.url);
    // Open for an hour: nothing in this test can outlast it.
    const gateway = await breakerGateway(flaky, '3600000');
    try {
      expect(await stateOf(gateway, flaky)).toBe(0);
      for (let index = 0; index < 3; index++) expect(codesOf(await gatewayRequest(gateway.url, '{ replica }'))).toEqual(['SUBGRAPH_UNAVAILABLE']);
      expect(flaky.hits).toBe(3);
      expect(await stateOf(gateway, flaky)).toBe(2);
      flaky.failing = false;
      for (let index = 0; index < 3; index++) expect(codesOf(await gatewayRequest(gateway.url, '{ replica }'))).toEqual(['SUBGRAPH_UNAVAILABLE']);
      expect(flaky.hits).toBe(3);
    } finally {
      await gateway.close();
    }
  });

  it('half-opens after its open time: one trial call, and a successful trial closes it', async () => {
    const flaky = await failingReplica(a.url);
    const gateway = await breakerGateway(flaky, '200');
    const ask = () => gatewayRequest(gateway.url, '{ replica }');
    try {
      for (let index = 0; index < 3; index++) expect(codesOf(await ask())).toEqual(['SUBGRAPH_UNAVAILABLE']);
      // Half-open lasts until the trial: a failed one reaches the replica, once.
      await eventually(async () => (await stateOf(gateway, flaky)) === 1);
      expect(codesOf(await ask())).toEqual(['SUBGRAPH_UNAVAILABLE']);
      expect(flaky.hits).toBe(4);

      flaky.failing = false;
      await eventually(async () => (await stateOf(gateway, flaky)) === 1);
      expect(await ask()).toEqual({ status: 200, data: { replica: 'a' } });
      expect(await stateOf(gateway, flaky)).toBe(0);
      expect(await ask()).toEqual({ status: 200, data: { replica: 'a' } });
      expect(flaky.hits).toBe(6);
    } finally {
      await gateway.close();
    }
  });
});
