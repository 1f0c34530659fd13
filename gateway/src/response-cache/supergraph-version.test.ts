import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { CACHE_STATUS_HEADER } from '@shopgraph/common';
import { removeKeysWithPrefix, testRedisUrl, waitFor } from '@shopgraph/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCacheableGraph, type CacheableGraph } from '../../test/cacheable-graph.js';
import { loadConfig } from '../env.js';
import { createGatewayServer } from '../server.js';

const prefix = `sgtest:supergraph-version:${randomBytes(4).toString('hex')}:`;
let graph: CacheableGraph;

beforeAll(async () => {
  graph = await startCacheableGraph();
});

afterAll(async () => {
  await graph?.close();
  await removeKeysWithPrefix(testRedisUrl, prefix);
});

async function post(url: string, query: string) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
  const body = (await response.json()) as { data?: Record<string, unknown>; errors?: { extensions?: { code?: string } }[] };
  return { cache: response.headers.get(CACHE_STATUS_HEADER), ...body };
}

function capturedLogger() {
  const lines: { msg: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as { msg: string });
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

describe('cached answers and the supergraph version', () => {
  it('an answer cached under one supergraph never answers under a hot-reloaded one', async () => {
    const path = graph.supergraphPath('nickname');
    graph.writeSupergraph(path, { withNickname: true });
    const { logger, lines } = capturedLogger();
    const server = await createGatewayServer(loadConfig(graph.gatewayEnv(prefix, { SUPERGRAPH_PATH: path })), logger);
    const url = await server.listen(0, '127.0.0.1');
    const query = '{ product(id: "p1") { id nickname } }';
    try {
      expect(await post(url, query)).toMatchObject({ cache: 'MISS', data: { product: { id: 'p1', nickname: 'the kettle' } } });
      expect(await post(url, query)).toMatchObject({ cache: 'HIT-L1', data: { product: { id: 'p1', nickname: 'the kettle' } } });

      graph.writeSupergraph(path, { withNickname: false });
      await waitFor(() => lines.some((line) => line.msg === 'supergraph reloaded'), { what: 'the supergraph to be reloaded' });

      // The same bytes as the cached request: validated against the new supergraph, not answered from the old one.
      const after = await post(url, query);
      expect(after.cache).toBe('MISS');
      expect(after.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      // What the new supergraph still has is cached anew, under its own version.
      const kept = '{ product(id: "p1") { id name } }';
      expect(await post(url, kept)).toMatchObject({ cache: 'MISS', data: { product: { id: 'p1', name: 'Kettle' } } });
      expect(await post(url, kept)).toMatchObject({ cache: 'HIT-L1' });
    } finally {
      await server.close();
    }
  });
});
