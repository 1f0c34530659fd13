import { issueToken, type Viewer } from '@shopgraph/common';
import { TEST_JWT_SECRET } from '@shopgraph/testing';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveApp } from '../test-graph.js';
import { useAuth, viewerOf } from './useAuth.js';

const customer: Viewer = { id: 'user-1', role: 'CUSTOMER' };
let server: Awaited<ReturnType<typeof serveApp>>;
let rejected = 0;

beforeAll(async () => {
  const app = express();
  app.use(useAuth({ jwtSecret: TEST_JWT_SECRET, onRejected: () => rejected++ }));
  app.get('/viewer', (_req, res) => {
    res.json({ viewer: viewerOf(res) });
  });
  server = await serveApp(app);
});

afterAll(async () => {
  await server?.close();
});

const call = (authorization?: string) =>
  fetch(`${server.url}/viewer`, { headers: authorization ? { authorization } : {} });

describe('useAuth', () => {
  it('lets a request without a token through as the anonymous viewer', async () => {
    expect(await (await call()).json()).toEqual({ viewer: null });
  });

  it('verifies a bearer token and hands its viewer on', async () => {
    const token = await issueToken(TEST_JWT_SECRET, customer);
    expect(await (await call(`Bearer ${token}`)).json()).toEqual({ viewer: customer });
    expect(await (await call(`bearer ${token}`)).json()).toEqual({ viewer: customer });
  });

  it.each([
    ['garbage', async () => 'Bearer not-a-token'],
    ['signed with another secret', async () => `Bearer ${await issueToken('another-secret-that-is-32-characters-long', customer)}`],
    ['expired', async () => `Bearer ${await issueToken(TEST_JWT_SECRET, customer, '-10s')}`],
    ['in another scheme', async () => 'Basic dXNlcjpwYXNz'],
    ['empty', async () => 'Bearer '],
  ])('refuses a token that is %s with 401 UNAUTHENTICATED', async (_, header) => {
    const before = rejected;
    const response = await call(await header());
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    expect(await response.json()).toEqual({
      errors: [{ message: 'The bearer token is invalid or has expired.', extensions: { code: 'UNAUTHENTICATED' } }],
    });
    expect(rejected).toBe(before + 1);
  });
});
