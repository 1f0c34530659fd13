import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, startTestGraph, type TestGraph } from '../../test/test-graph.js';

let graph: TestGraph;
let gateway: Awaited<ReturnType<typeof startGateway>>;

beforeAll(async () => {
  graph = await startTestGraph();
  gateway = await startGateway(graph.gatewayEnv());
});

afterAll(async () => {
  await gateway?.close();
  await graph?.close();
});

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

async function post(body: unknown) {
  const response = await fetch(gateway.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] } };
}

describe("requests that are the client's fault", () => {
  it.each([
    ['an unknown operationName', { query: 'query A { requestId }', operationName: 'B' }, /Unknown operation named "B"/],
    ['an operationName for an anonymous operation', { query: '{ requestId }', operationName: 'A' }, /Unknown operation named "A"/],
    ['two named operations and no operationName', { query: 'query A { requestId } query B { whoami { id } }' }, /holds 2 operations/],
    ['a subscription', { query: 'subscription { requestId }' }, /no subscriptions/],
    ['a subscription chosen beside a query', { query: 'query A { requestId } subscription S { requestId }', operationName: 'S' }, /no subscriptions/],
  ])('answers %s with GRAPHQL_VALIDATION_FAILED and HTTP 400', async (_what, body, message) => {
    const { status, body: answer } = await post(body);
    expect(status).toBe(400);
    expect(answer.errors).toEqual([{ message: expect.stringMatching(message), extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }]);
  });

  it('runs the operation a multi-operation document names', async () => {
    const { status, body } = await post({ query: 'query A { whoami { id } } query B { requestId }', operationName: 'B' });
    expect(status).toBe(200);
    expect(body).toEqual({ data: { requestId: expect.any(String) } });
  });

  it('answers an APQ whose hash is not its query’s with PERSISTED_QUERY_HASH_MISMATCH and HTTP 400', async () => {
    const { status, body } = await post({ query: '{ requestId }', extensions: { persistedQuery: { version: 1, sha256Hash: sha256('{ whoami { id } }') } } });
    expect(status).toBe(400);
    expect(body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_HASH_MISMATCH');
  });

  it('answers an APQ of another version with PERSISTED_QUERY_NOT_SUPPORTED and HTTP 400', async () => {
    const { status, body } = await post({ query: '{ requestId }', extensions: { persistedQuery: { version: 2, sha256Hash: sha256('{ requestId }') } } });
    expect(status).toBe(400);
    expect(body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_SUPPORTED');
  });

  it('still registers and then runs an APQ whose hash matches', async () => {
    const query = `{ requestId __typename }`;
    const extensions = { persistedQuery: { version: 1, sha256Hash: sha256(query) } };
    expect((await post({ query, extensions })).body.data).toEqual({ requestId: expect.any(String), __typename: 'Query' });
    expect((await post({ extensions })).body.data).toEqual({ requestId: expect.any(String), __typename: 'Query' });
  });
});
