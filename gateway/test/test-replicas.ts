import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, listen } from '@shopgraph/common';
import { createSubgraphServer, type RequestBase, type RunningServer } from '@shopgraph/common/subgraph';
import { createTestNonceStore, TEST_GATEWAY_SECRET, TEST_JWT_SECRET } from '@shopgraph/testing';
import { parse } from 'graphql';
import { composeSupergraph, UNREACHABLE_URL } from './test-graph.js';

/**
 * Real subgraphs for the upstream tests: "catalog" runs as several replicas, each answering
 * which one it is, and "reviews" extends catalog's products. Every replica checks the gateway's
 * signature and counts the GraphQL requests it receives.
 */

const federation = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])';

const catalogSdl = `${federation}
  type Product @key(fields: "id") { id: ID!, name: String }
  type Query {
    "The name of the replica that answered."
    replica: String
    "Answers with the replica's name once the test releases it."
    held: String
    product(id: ID!): Product
  }
  type Mutation { bump: String }`;

const reviewsSdl = `${federation}
  type Product @key(fields: "id") { id: ID!, rating: Int }
  type Query { reviewsReplica: String }`;

export interface TestReplica {
  name: string;
  url: string;
  /** GraphQL requests received (not `/health`). */
  hits: number;
  /** Resolver runs of `held`, to see a call arrive and to see deduplication. */
  heldRuns: number;
  /** Lets every call of `held` now waiting answer (wait for `heldRuns` first: a later call waits again). */
  release(): void;
  /** Stops listening and drops open connections, as a crashed process would. */
  kill(): Promise<void>;
  /** Listens again on the same port (nothing if it is listening). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

const logger = createLogger('test-subgraph', 'silent');

function countGraphQLRequests(server: Server, onRequest: () => void) {
  // Ahead of express, which rewrites req.url while it routes.
  server.prependListener('request', (req: IncomingMessage) => {
    if (req.url?.startsWith('/graphql')) onRequest();
  });
}

/** Where a replica listens: discovery tests put replicas on one port of several loopback addresses, as pods of one Service. */
export interface ListenAt {
  host?: string;
  port?: number;
}

async function killable(running: RunningServer, { host = '127.0.0.1', port: wanted = 0 }: ListenAt = {}): Promise<Pick<TestReplica, 'url' | 'kill' | 'restart'>> {
  const url = await running.listen(wanted, host);
  const port = Number(new URL(url).port);
  return {
    url,
    async kill() {
      const closed = new Promise<void>((resolve) => running.httpServer.close(() => resolve()));
      running.httpServer.closeAllConnections();
      await closed;
    },
    async restart() {
      if (!running.httpServer.listening) await listen(running.httpServer, port, host);
    },
  };
}

export async function startCatalogReplica(name: string, at?: ListenAt): Promise<TestReplica> {
  const state = { hits: 0, heldRuns: 0 };
  const waiting: (() => void)[] = [];
  const release = () => {
    for (const answer of waiting.splice(0)) answer();
  };
  const nonces = createTestNonceStore();
  const running = await createSubgraphServer<RequestBase>({
    name: 'catalog',
    typeDefs: parse(catalogSdl),
    resolvers: {
      Query: {
        replica: () => name,
        held: async () => {
          state.heldRuns++;
          await new Promise<void>((resolve) => waiting.push(resolve));
          return name;
        },
        product: (_: unknown, { id }: { id: string }) => ({ id, name: `Product ${id}` }),
      },
      Mutation: { bump: () => name },
    } as never,
    logger,
    gatewaySecret: TEST_GATEWAY_SECRET,
    nonces,
    production: false,
    checks: {},
    context: (base) => base,
    onClose: () => nonces.close(),
  });
  countGraphQLRequests(running.httpServer, () => state.hits++);
  const controls = await killable(running, at);
  return {
    name,
    ...controls,
    get hits() {
      return state.hits;
    },
    get heldRuns() {
      return state.heldRuns;
    },
    release,
    close: () => {
      release();
      return running.close();
    },
  };
}

export async function startReviews(): Promise<Pick<TestReplica, 'url' | 'kill' | 'restart' | 'close'>> {
  const nonces = createTestNonceStore();
  const running = await createSubgraphServer<RequestBase>({
    name: 'reviews',
    typeDefs: parse(reviewsSdl),
    resolvers: {
      Query: { reviewsReplica: () => 'reviews' },
      Product: { __resolveReference: ({ id }: { id: string }) => ({ id, rating: Number(id) % 5 }) },
    } as never,
    logger,
    gatewaySecret: TEST_GATEWAY_SECRET,
    nonces,
    production: false,
    checks: {},
    context: (base) => base,
    onClose: () => nonces.close(),
  });
  return { ...(await killable(running)), close: () => running.close() };
}

export interface FailingReplica {
  url: string;
  /** GraphQL requests received. */
  hits: number;
  /** `/health` requests received. */
  healthChecks: number;
  /** While true every request, `/health` included, is answered 503; otherwise it is passed to `target`. */
  failing: boolean;
  /** While true `/health` alone is answered 503. */
  healthFailing: boolean;
  close(): Promise<void>;
}

/**
 * A replica that breaks on demand: an HTTP proxy in front of a real replica answering 503 while
 * `failing` (as a load balancer with nothing behind it does), or only on `/health` while
 * `healthFailing`, forwarding the exact signed bytes otherwise.
 */
export async function startFailingReplica(target: string, failing = true): Promise<FailingReplica> {
  const replica = { hits: 0, healthChecks: 0, failing, healthFailing: false };
  const server = createServer(async (req, res) => {
    if (req.url === '/health') replica.healthChecks++;
    else replica.hits++;
    if (replica.failing || (replica.healthFailing && req.url === '/health')) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('no healthy upstream');
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && entry[0] !== 'host'),
    );
    const answer = await fetch(new URL(req.url ?? '/', target), {
      method: req.method ?? 'GET',
      headers,
      ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
    });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  const port = await listen(server, 0, '127.0.0.1');
  return Object.assign(replica, {
    url: `http://127.0.0.1:${port}/graphql`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** A supergraph of catalog and reviews in a temporary file; the URLs in it lead nowhere. */
export function writeSupergraph() {
  const directory = mkdtempSync(join(tmpdir(), 'shopgraph-upstream-'));
  const path = join(directory, 'supergraph.graphql');
  writeFileSync(
    path,
    composeSupergraph([
      { name: 'catalog', url: UNREACHABLE_URL, typeDefs: parse(catalogSdl) },
      { name: 'reviews', url: UNREACHABLE_URL, typeDefs: parse(reviewsSdl) },
    ]),
  );
  return { path, remove: () => rmSync(directory, { recursive: true, force: true }) };
}

/**
 * Gateway env for these subgraphs: test secrets, quiet logs, no active checks unless a test wants
 * them, and no response cache, whose hits and single-flight would hide the subgraph traffic.
 */
export function upstreamGatewayEnv(supergraphPath: string, extra: Record<string, string>): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    JWT_SECRET: TEST_JWT_SECRET,
    GATEWAY_SECRET: TEST_GATEWAY_SECRET,
    SUPERGRAPH_PATH: supergraphPath,
    RESPONSE_CACHE: 'false',
    SUBGRAPH_HEALTH_CHECK_INTERVAL_MS: '0',
    ...extra,
  };
}

/** `SUBGRAPH_REPLICAS_*` spelling of replicas with weights. */
export const replicaList = (replicas: { url: string }[], weights?: number[]) =>
  replicas.map((replica, index) => (weights ? `${replica.url}|${weights[index]}` : replica.url)).join(',');

/** Sums a counter over every label set that has the given labels. */
export async function sumMetric(metricsUrl: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) && Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`)))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** Polls `condition` until it holds; for behaviour that happens on timers (cool-downs, health checks). */
export async function eventually(condition: () => Promise<boolean> | boolean, timeoutMs = 15_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
