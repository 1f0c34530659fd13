import type { AddressInfo } from 'node:net';
import { issueToken, type Viewer } from '@shopgraph/common';
import { freePort, gatewayRequest, readCounter, TEST_JWT_SECRET } from '@shopgraph/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './env.js';
import { createGatewayServer } from './server.js';
import { startGateway, startTestGraph, type TestGraph } from '../test/test-graph.js';

const customer: Viewer = { id: 'user-1', role: 'CUSTOMER' };
const LEAKS = /stacktrace|ECONNREFUSED|10\.1\.2\.3|select \*|internal_ledger|127\.0\.0\.1|legacy-inventory|serviceName/i;

let graph: TestGraph;
let gateway: Awaited<ReturnType<typeof startGateway>>;

beforeAll(async () => {
  graph = await startTestGraph();
  gateway = await startGateway(graph.gatewayEnv({ CORS_ORIGINS: 'http://shop.example, http://localhost:3000' }));
});

afterAll(async () => {
  await gateway?.close();
  await graph?.close();
});

const post = (body: string, headers: Record<string, string> = {}) =>
  fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
const json = async (response: Response) => (await response.json()) as { errors?: { message: string; extensions: { code: string } }[] };

describe('signed subgraph calls', () => {
  it('passes the viewer of a valid token to the subgraph, which accepts only signed calls', async () => {
    const token = await issueToken(TEST_JWT_SECRET, customer);
    const response = await gatewayRequest(gateway.url, '{ whoami { id role } }', {}, token);
    expect(response).toMatchObject({ status: 200, data: { whoami: customer } });
    expect(response.errors).toBeUndefined();
  });

  it('signs entity fetches too, across subgraphs, with the same viewer', async () => {
    const token = await issueToken(TEST_JWT_SECRET, customer);
    const response = await gatewayRequest(gateway.url, '{ item(id: "7") { id name inStock checkedBy } }', {}, token);
    expect(response.data).toEqual({ item: { id: '7', name: 'Item 7', inStock: true, checkedBy: customer.id } });
  });

  it('calls the subgraphs as an anonymous viewer when no token is sent', async () => {
    const response = await gatewayRequest(gateway.url, '{ whoami { id } item(id: "1") { checkedBy } }');
    expect(response).toMatchObject({ status: 200, data: { whoami: null, item: { checkedBy: null } } });
  });

  it('is refused by the subgraphs when it signs with another secret; the client sees only an internal error', async () => {
    const impostor = await startGateway(graph.gatewayEnv({ GATEWAY_SECRET: 'a-different-gateway-secret-of-32-characters' }));
    try {
      const response = await gatewayRequest(impostor.url, '{ whoami { id } }');
      expect(response.errors).toEqual([expect.objectContaining({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } })]);
      expect(JSON.stringify(response)).not.toMatch(LEAKS);
    } finally {
      await impostor.close();
    }
  });

  it('forwards the request id to the subgraphs and answers with it', async () => {
    const response = await post(JSON.stringify({ query: '{ requestId }' }), { 'x-request-id': 'trace-me-42' });
    expect(response.headers.get('x-request-id')).toBe('trace-me-42');
    expect(await response.json()).toEqual({ data: { requestId: 'trace-me-42' } });
  });
});

describe('bearer tokens', () => {
  it('refuses an invalid token with 401 UNAUTHENTICATED before any subgraph is called', async () => {
    const response = await post(JSON.stringify({ query: '{ whoami { id } }' }), { authorization: 'Bearer not-a-token' });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] });
  });
});

describe('errors', () => {
  it.each(['NOT_FOUND', 'FORBIDDEN', 'CONFLICT', 'BAD_USER_INPUT'])('passes a subgraph %s through with its code and details', async (code) => {
    const response = await gatewayRequest(gateway.url, `{ fail(code: "${code}") }`);
    expect(response.errors).toEqual([
      { message: `failed with ${code}`, path: ['fail'], extensions: { code, detail: 'kept' } },
    ]);
  });

  it('hides an unexpected subgraph error: no message, stack, address or subgraph name', async () => {
    const response = await gatewayRequest(gateway.url, '{ crash anonymousError }');
    expect(response.status).toBe(200);
    expect(response.errors).toHaveLength(2);
    for (const error of response.errors!) {
      expect(error).toMatchObject({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    }
    expect(JSON.stringify(response)).not.toMatch(LEAKS);
  });

  it('keeps the code of input only a subgraph can judge (its HTTP 400)', async () => {
    const query = 'query($email: Email!) { subscribe(email: $email) }';
    expect(await gatewayRequest(gateway.url, query, { email: 'a@b.example' })).toMatchObject({ data: { subscribe: 'a@b.example' } });
    const response = await gatewayRequest(gateway.url, query, { email: 'nope' });
    expect(response.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(response)).not.toMatch(LEAKS);
  });

  it('abandons a subgraph call after SUBGRAPH_TIMEOUT_MS without leaking where it went', async () => {
    // The subgraph never answers: only the deadline can end this request.
    const deadlined = await startGateway(graph.gatewayEnv({ SUBGRAPH_TIMEOUT_MS: '2000' }));
    try {
      const response = await gatewayRequest(deadlined.url, '{ hang }');
      expect(response).toMatchObject({ status: 200, data: { hang: null } });
      expect(response.errors).toEqual([
        { message: expect.stringMatching(/did not answer within 2000 ms/), extensions: { code: 'SUBGRAPH_TIMEOUT' } },
      ]);
      expect(JSON.stringify(response)).not.toMatch(LEAKS);
    } finally {
      await deadlined.close();
    }
  });

  it('answers a syntax error with 400 GRAPHQL_PARSE_FAILED', async () => {
    const response = await gatewayRequest(gateway.url, '{ whoami { id }');
    expect(response.status).toBe(400);
    expect(response.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  it('answers a malformed body and an oversized one in JSON', async () => {
    const malformed = await post('{"query": ');
    expect(malformed.status).toBe(400);
    const oversized = await post(JSON.stringify({ query: '{ whoami { id } }', variables: { pad: 'x'.repeat(1024 * 1024) } }));
    expect(oversized.status).toBe(413);
    expect((await json(oversized)).errors?.[0]?.message).toBe('Request body too large.');
  });
});

describe('browsers', () => {
  it('shows Apollo Sandbox for GET /graphql with accept: text/html', async () => {
    const response = await fetch(gateway.url, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(await response.text()).toMatch(/id="embeddableSandbox"/);
  });

  it('refuses a simple cross-site request (CSRF prevention)', async () => {
    const response = await fetch(`${gateway.url}?query=${encodeURIComponent('{ whoami { id } }')}`);
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/CSRF/);
  });

  it('allows CORS for the listed origins only', async () => {
    const preflight = (origin: string) =>
      fetch(gateway.url, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
      });
    const allowed = await preflight('http://shop.example');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://shop.example');
    expect(allowed.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    const other = await preflight('http://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('service endpoints', () => {
  it('answers /health', async () => {
    const response = await fetch(`${gateway.origin}/health`);
    expect(await response.json()).toMatchObject({ status: 'ok', service: 'gateway' });
  });

  it('is ready when the supergraph is loaded and every subgraph answers /health', async () => {
    const response = await fetch(`${gateway.origin}/ready`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'ready',
      checks: { supergraph: 'ok', 'subgraph users': 'ok', 'subgraph legacy-inventory': 'ok' },
    });
  });

  it('is not ready, and says which subgraph, when one does not answer', async () => {
    const nobody = `http://127.0.0.1:${await freePort()}/graphql`;
    const degraded = await startGateway(graph.gatewayEnv({ SUBGRAPH_URL_LEGACY_INVENTORY: nobody }));
    try {
      const response = await fetch(`${degraded.origin}/ready`);
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({
        checks: { supergraph: 'ok', 'subgraph users': 'ok', 'subgraph legacy-inventory': 'unreachable (ECONNREFUSED)' },
      });
    } finally {
      await degraded.close();
    }
  });

  it('counts operations by name and errors by code on /metrics', async () => {
    const metricsUrl = `${gateway.metricsOrigin}/metrics`;
    const errorsBefore = await readCounter(metricsUrl, 'shopgraph_gateway_errors_total');
    await gatewayRequest(gateway.url, 'query WhoAmI { whoami { id } }');
    await gatewayRequest(gateway.url, '{ fail(code: "NOT_FOUND") }');
    await post(JSON.stringify({ query: '{ whoami { id } }' }), { authorization: 'Bearer nope' });
    const text = await (await fetch(metricsUrl)).text();
    expect(text).toMatch(/shopgraph_gateway_operation_duration_seconds_count\{[^}]*operation="WhoAmI",type="query"\} 1/);
    expect(text).toMatch(/shopgraph_gateway_errors_total\{[^}]*code="NOT_FOUND"[^}]*\} [1-9]/);
    expect(text).toMatch(/shopgraph_gateway_errors_total\{[^}]*code="UNAUTHENTICATED"[^}]*\} [1-9]/);
    expect(await readCounter(metricsUrl, 'shopgraph_gateway_errors_total')).toBe(errorsBefore + 2);
  });
});

describe('listeners', () => {
  it('serves /metrics on the operator listener only: the public listener answers 404', async () => {
    const onPublic = await fetch(`${gateway.origin}/metrics`);
    expect(onPublic.status).toBe(404);
    expect(await onPublic.text()).not.toMatch(/shopgraph_gateway|subgraph/);
    const onOperator = await fetch(`${gateway.metricsOrigin}/metrics`);
    expect(onOperator.status).toBe(200);
    expect(await onOperator.text()).toMatch(/shopgraph_gateway_/);
    // Nothing but metrics there.
    expect((await fetch(`${gateway.metricsOrigin}/graphql`, { method: 'POST' })).status).toBe(404);
  });

  it('listens on 127.0.0.1 only, both listeners, as the process starts them from its configuration', async () => {
    const config = loadConfig(graph.gatewayEnv({ GATEWAY_PORT: '0' }));
    const server = await createGatewayServer(config);
    try {
      await server.listen(config.port, config.host);
      const metricsUrl = await server.listenMetrics(config.metrics.port, config.metrics.host);
      expect((server.httpServer.address() as AddressInfo).address).toBe('127.0.0.1');
      expect(new URL(metricsUrl).hostname).toBe('127.0.0.1');
      expect((await fetch(metricsUrl)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('in production', () => {
  let production: Awaited<ReturnType<typeof startGateway>>;

  beforeAll(async () => {
    production = await startGateway(graph.gatewayEnv({ NODE_ENV: 'production', ADMIN_PASSWORD: 'not-the-default-password' }));
  });

  afterAll(async () => {
    await production?.close();
  });

  it('refuses introspection', async () => {
    const response = await gatewayRequest(production.url, '{ __schema { types { name } } }');
    expect(response.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('shows the production landing page instead of Sandbox', async () => {
    const response = await fetch(production.url, { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(await response.text()).not.toMatch(/id="embeddableSandbox"/);
  });

  it('still passes deliberate codes and hides unexpected errors', async () => {
    const response = await gatewayRequest(production.url, '{ fail(code: "FORBIDDEN") crash }');
    expect(response.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ extensions: { code: 'FORBIDDEN', detail: 'kept' } }),
        expect.objectContaining({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }),
      ]),
    );
    expect(JSON.stringify(response)).not.toMatch(LEAKS);
  });
});
