import { gatewayRequest } from '@shopgraph/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, startTestGraph, type TestGraph } from '../../test/test-graph.js';

let graph: TestGraph;

beforeAll(async () => {
  graph = await startTestGraph();
});

afterAll(async () => {
  await graph?.close();
});

// Each limit on its own gateway: an operation at the limit must run, one just over it must not.
const limits = [
  { limit: 'MAX_DEPTH', value: '2', within: '{ whoami { id } }', over: '{ whoami { manager { id } } }', message: /depth limit of 2/ },
  { limit: 'MAX_ALIASES', value: '2', within: '{ a: requestId b: requestId }', over: '{ a: requestId b: requestId c: requestId }', message: /aliases limit of 2/i },
  {
    limit: 'MAX_DIRECTIVES',
    value: '2',
    within: '{ requestId @include(if: true) whoami @skip(if: false) { id } }',
    over: '{ requestId @include(if: true) whoami @skip(if: false) { id @include(if: true) } }',
    message: /directives limit of 2/i,
  },
  { limit: 'MAX_COST', value: '12', within: '{ whoami { id role } requestId }', over: '{ whoami { manager { manager { id } } } }', message: /cost limit of 12/i },
  { limit: 'MAX_TOKENS', value: '10', within: '{ whoami { id role } }', over: '{ whoami { id role manager { id role } } }', message: /token limit of 10/i },
];

describe('operation limits', () => {
  it.each(limits)('$limit rejects an operation over it with GRAPHQL_VALIDATION_FAILED and HTTP 400', async ({ limit, value, within, over, message }) => {
    const gateway = await startGateway(graph.gatewayEnv({ [limit]: value }));
    try {
      const allowed = await gatewayRequest(gateway.url, within);
      expect(allowed.errors, 'the operation within the limit').toBeUndefined();

      const refused = await gatewayRequest(gateway.url, over);
      expect(refused.status).toBe(400);
      expect(refused.data).toBeUndefined();
      expect(refused.errors).toEqual([expect.objectContaining({ message: expect.stringMatching(message), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })]);
    } finally {
      await gateway.close();
    }
  });

  it('keeps field suggestions outside production and hides them in production', async () => {
    const development = await startGateway(graph.gatewayEnv());
    const production = await startGateway(graph.gatewayEnv({ NODE_ENV: 'production', ADMIN_PASSWORD: 'not-the-default-password' }));
    try {
      expect((await gatewayRequest(development.url, '{ whoam }')).errors?.[0]?.message).toMatch(/Did you mean "whoami"/);
      const hidden = await gatewayRequest(production.url, '{ whoam }');
      expect(hidden.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(hidden.errors?.[0]?.message).not.toMatch(/whoami/);
    } finally {
      await Promise.all([development.close(), production.close()]);
    }
  });
});
