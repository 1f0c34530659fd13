import { writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { ConfigError } from '@shopgraph/common';
import { gatewayRequest, waitFor } from '@shopgraph/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './env.js';
import { createGatewayServer } from './server.js';
import { startGateway, startTestGraph, type TestGraph } from '../test/test-graph.js';

let graph: TestGraph;

beforeAll(async () => {
  graph = await startTestGraph();
});

afterAll(async () => {
  await graph?.close();
});

/** Polls `check` until it holds; hot reload is asynchronous (file watch + debounce). */
const eventually = (check: () => Promise<boolean>) => waitFor(check, { what: 'the supergraph file to be acted on' });

/** A pino logger whose JSON lines the test can read. */
function capturedLogger() {
  const lines: { msg: string; level: number }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as { msg: string; level: number });
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const greets = async (url: string) => (await gatewayRequest(url, '{ greeting }')).data?.greeting === 'hello';

describe('the supergraph file', () => {
  it('is whichever file SUPERGRAPH_PATH names', async () => {
    const path = graph.supergraphPath('other');
    graph.writeSupergraph(path, { withGreeting: true });
    const gateway = await startGateway(graph.gatewayEnv({ SUPERGRAPH_PATH: path }));
    try {
      expect(await gatewayRequest(gateway.url, '{ greeting }')).toMatchObject({ data: { greeting: 'hello' } });
    } finally {
      await gateway.close();
    }
  });

  it('must exist at start: the error says how to make one', async () => {
    const config = loadConfig(graph.gatewayEnv({ SUPERGRAPH_PATH: graph.supergraphPath('missing') }));
    const start = createGatewayServer(config);
    await expect(start).rejects.toBeInstanceOf(ConfigError);
    await expect(start).rejects.toThrow(/npm run compose/);
  });

  it('is hot-reloaded when it changes, without failing a request in flight', async () => {
    const path = graph.supergraphPath('reloaded');
    graph.writeSupergraph(path);
    const { logger, lines } = capturedLogger();
    const server = await createGatewayServer(loadConfig(graph.gatewayEnv({ SUPERGRAPH_PATH: path })), logger);
    const url = await server.listen(0, '127.0.0.1');
    try {
      expect((await gatewayRequest(url, '{ greeting }')).errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');

      // Traffic through the whole reload, flowing before the file changes and until the new version
      // answers: every request must succeed on one version or the other.
      let reloading = true;
      let answered = 0;
      const traffic = Promise.all(
        Array.from({ length: 8 }, async () => {
          const results = [];
          while (reloading) {
            results.push(await gatewayRequest(url, '{ whoami { id } requestId }'));
            answered++;
          }
          return results;
        }),
      ).then((all) => all.flat());
      await waitFor(() => answered >= 16, { what: 'traffic to flow' });

      graph.writeSupergraph(path, { withGreeting: true });
      await eventually(() => greets(url));
      reloading = false;
      const responses = await traffic;
      expect(responses.filter((response) => response.status !== 200 || response.errors)).toEqual([]);
      expect(lines.some((line) => line.msg === 'supergraph reloaded')).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('keeps serving the current version when the new file does not load, until a good one arrives', async () => {
    const path = graph.supergraphPath('broken');
    graph.writeSupergraph(path, { withGreeting: true });
    const { logger, lines } = capturedLogger();
    const server = await createGatewayServer(loadConfig(graph.gatewayEnv({ SUPERGRAPH_PATH: path })), logger);
    const url = await server.listen(0, '127.0.0.1');
    try {
      writeFileSync(path, 'schema @link(url: "https://specs.apollo.dev/link/v1.0") { query: Query');
      await eventually(async () => lines.some((line) => line.msg === 'the changed supergraph does not load; keeping the current one'));
      expect(await greets(url)).toBe(true);

      graph.writeSupergraph(path);
      await eventually(async () => !(await greets(url)));
      expect(await gatewayRequest(url, '{ whoami { id } }')).toMatchObject({ status: 200, data: { whoami: null } });
    } finally {
      await server.close();
    }
  });
});
