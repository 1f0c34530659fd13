import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveApp } from '../../test/test-graph.js';
import { useCors } from './useCors.js';

let server: Awaited<ReturnType<typeof serveApp>>;

beforeAll(async () => {
  const app = express();
  app.use(useCors({ origins: ['http://shop.example', 'http://localhost:3000'] }).onRequest);
  app.post('/graphql', (_req, res) => {
    res.set('x-request-id', 'r-1').json({ data: {} });
  });
  server = await serveApp(app);
});

afterAll(async () => {
  await server?.close();
});

const preflight = (origin: string) =>
  fetch(`${server.url}/graphql`, {
    method: 'OPTIONS',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' },
  });

describe('useCors', () => {
  it('answers the preflight of a listed origin, allowing the bearer header', async () => {
    const response = await preflight('http://shop.example');
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('http://shop.example');
    expect(response.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('gives an unlisted origin no CORS headers, so the browser blocks it', async () => {
    const response = await preflight('http://evil.example');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('lets a listed page read the request id of a response', async () => {
    const response = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { origin: 'http://localhost:3000' } });
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(response.headers.get('access-control-expose-headers')).toBe('x-request-id');
  });
});
