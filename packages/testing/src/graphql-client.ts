import { signRequest, type Viewer } from '@shopgraph/common';
import { testCachePrefix } from './database.js';

/** Secret the tests share with the servers they start. */
export const TEST_GATEWAY_SECRET = 'test-gateway-secret-with-at-least-32-chars';
export const TEST_JWT_SECRET = 'test-jwt-secret-with-at-least-32-characters';
/** The payment-provider simulator's API key in tests: the simulators they start require it, payments and the workers send it. */
export const TEST_PAYMENT_PROVIDER_KEY = 'sk_test_shopgraph-tests-payment-provider-key';

export interface GraphQLResponse<Data = Record<string, any>> {
  status: number;
  data?: Data | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

/** A subgraph as the gateway calls it: its GraphQL URL and its name in the supergraph, the audience of its signatures. */
export interface SubgraphTarget {
  url: string;
  name: string;
}

/** A POST to `target` signed exactly as the gateway signs one: what an attacker who captured it would hold. */
export function signedSubgraphPost(
  target: SubgraphTarget,
  body: string,
  viewer: Viewer | null = null,
  secret = TEST_GATEWAY_SECRET,
): { method: 'POST'; headers: Record<string, string>; body: string } {
  const signature = signRequest(secret, { method: 'POST', url: target.url, audience: target.name, body }, viewer);
  return { method: 'POST', headers: { 'content-type': 'application/json', ...signature }, body };
}

/** Posts an operation to a subgraph as the gateway would: signed for it, with the viewer's identity. */
export async function subgraphRequest<Data = Record<string, any>>(
  target: SubgraphTarget,
  query: string,
  variables: Record<string, unknown> = {},
  viewer: Viewer | null = null,
  secret = TEST_GATEWAY_SECRET,
): Promise<GraphQLResponse<Data>> {
  const response = await fetch(target.url, signedSubgraphPost(target, JSON.stringify({ query, variables }), viewer, secret));
  return { status: response.status, ...((await response.json()) as object) };
}

/** Posts an operation to the gateway as a client would, with an optional bearer token. */
export async function gatewayRequest<Data = Record<string, any>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<GraphQLResponse<Data>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'apollo-require-preflight': 'true',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, ...((await response.json()) as object) };
}

/** Reads one counter's total (all label sets summed) from a Prometheus `/metrics` page. */
export async function readCounter(metricsUrl: string, name: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** The environment a process under test gets: its own database, the test secrets, quiet logs. */
export function testEnv(databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_URL: databaseUrl,
    REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
    JWT_SECRET: TEST_JWT_SECRET,
    GATEWAY_SECRET: TEST_GATEWAY_SECRET,
    PAYMENT_PROVIDER_KEY: TEST_PAYMENT_PROVIDER_KEY,
    CACHE_KEY_PREFIX: testCachePrefix(databaseUrl),
    ...extra,
  };
}
