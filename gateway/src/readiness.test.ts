import express from 'express';
import { freePort } from '@shopgraph/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayReadiness } from './readiness.js';
import { serveApp } from '../test/test-graph.js';

let replica: Awaited<ReturnType<typeof serveApp>>;
let nobody: string;

beforeAll(async () => {
  const app = express();
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  replica = await serveApp(app);
  nobody = `http://127.0.0.1:${await freePort()}/graphql`;
});

afterAll(async () => {
  await replica?.close();
});

describe('GatewayReadiness', () => {
  it('is not ready before a supergraph is loaded', async () => {
    const readiness = new GatewayReadiness();
    expect(Object.keys(readiness.checks)).toEqual(['supergraph']);
    await expect(readiness.checks.supergraph!()).rejects.toThrow('no supergraph loaded yet');
  });

  it('checks exactly the subgraphs of the supergraph in service, at the URLs the gateway calls', async () => {
    const readiness = new GatewayReadiness();
    readiness.supergraphLoaded([{ name: 'a', url: 'http://a/graphql' }, { name: 'b', url: 'http://b/graphql' }], (s) => [s.url]);
    expect(Object.keys(readiness.checks)).toEqual(['supergraph', 'subgraph a', 'subgraph b']);
    await expect(readiness.checks.supergraph!()).resolves.toBeUndefined();

    readiness.supergraphLoaded([{ name: 'c', url: 'http://c/graphql' }], (s) => [s.url]);
    expect(Object.keys(readiness.checks)).toEqual(['supergraph', 'subgraph c']);
  });

  it('counts a subgraph ready when any of its replicas answers, and says why when none does', async () => {
    const readiness = new GatewayReadiness();
    const replicas: Record<string, string[]> = {
      'one-up': [nobody, `${replica.url}/graphql`],
      'all-down': [nobody, nobody.replace('/graphql', '/other/graphql')],
      single: [nobody],
    };
    readiness.supergraphLoaded(
      Object.keys(replicas).map((name) => ({ name, url: 'http://unused/graphql' })),
      (s) => replicas[s.name]!,
    );
    await expect(readiness.checks['subgraph one-up']!()).resolves.toBeUndefined();
    await expect(readiness.checks['subgraph all-down']!()).rejects.toThrow('no replica answers: unreachable (ECONNREFUSED)');
    await expect(readiness.checks['subgraph single']!()).rejects.toThrow(/^unreachable \(ECONNREFUSED\)$/);
  });
});
