import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveApp } from '../../test/test-graph.js';
import { useTokenLimit } from './useTokenLimit.js';

let server: Awaited<ReturnType<typeof serveApp>>;
let rejected = 0;

beforeAll(async () => {
  const app = express();
  app.use('/graphql', express.json(), useTokenLimit({ maxTokens: 5, onRejected: () => rejected++ }).onParams, (_req, res) => {
    res.json({ passed: true });
  });
  server = await serveApp(app);
});

afterAll(async () => {
  await server?.close();
});

const post = (query: string) =>
  fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
const get = (query: string) => fetch(`${server.url}/graphql?query=${encodeURIComponent(query)}`);

describe('useTokenLimit', () => {
  it('passes an operation of up to maxTokens tokens, comments not counted', async () => {
    expect(await (await post('query { a b } # a comment of many words')).json()).toEqual({ passed: true });
  });

  it.each([
    ['POST', post],
    ['GET', get],
  ])('refuses a longer %s operation with 400 GRAPHQL_VALIDATION_FAILED', async (_, send) => {
    const before = rejected;
    const response = await send('query { a b c }');
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      errors: [{ message: 'Syntax Error: Token limit of 5 exceeded.', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }],
    });
    expect(rejected).toBe(before + 1);
  });

  it('leaves a syntax error for Apollo Server to report', async () => {
    expect(await (await post('{ a ! }')).json()).toEqual({ passed: true });
  });
});
