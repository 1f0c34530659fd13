import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeServices } from '@apollo/composition';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { expressMiddleware } from '@as-integrations/express5';
import { createLogger, createServiceApp, jsonBody, listen, type Viewer } from '@shopgraph/common';
import { createSubgraphServer, requireGatewaySignature, type RequestBase, type RunningServer } from '@shopgraph/common/subgraph';
import { createTestNonceStore, TEST_GATEWAY_SECRET, TEST_JWT_SECRET } from '@shopgraph/testing';
import type { Express } from 'express';
import { GraphQLError, GraphQLScalarType, parse, type DocumentNode } from 'graphql';
import { loadConfig } from '../src/env.js';
import { createGatewayServer } from '../src/server.js';

/**
 * A small real graph for the gateway's tests: two subgraphs on ephemeral ports, both refusing
 * calls the gateway did not sign, composed into a supergraph file in a temporary directory.
 */

const federation = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])';

/** "users": the repository's own subgraph shell, echoing what the gateway told it. */
const usersSdl = (withGreeting: boolean) => `${federation}
  type Viewer { id: ID!, role: String!, manager: Viewer }
  type Item @key(fields: "id") { id: ID!, name: String! }
  type Query {
    whoami: Viewer
    requestId: String!
    item(id: ID!): Item
    fail(code: String!): Boolean
    "Never answers while the graph runs: for deadlines."
    hang: Boolean
    ${withGreeting ? 'greeting: String!' : ''}
  }`;

/**
 * "legacy-inventory": a subgraph the platform does not control, built without the platform's
 * error masking, so it leaks messages and stack traces the gateway must not pass on.
 */
const inventorySdl = `${federation}
  scalar Email
  type Item @key(fields: "id") { id: ID!, inStock: Boolean!, checkedBy: ID }
  type Query {
    crash: Boolean
    anonymousError: Boolean
    subscribe(email: Email!): String
  }`;

/** `hanging` settles when the graph closes, so no call to `hang` outlives the test's servers. */
const usersResolvers = (hanging: Promise<void>) => ({
  Query: {
    whoami: (_: unknown, __: unknown, ctx: RequestBase) => ctx.viewer,
    requestId: (_: unknown, __: unknown, ctx: RequestBase) => ctx.requestId,
    item: (_: unknown, { id }: { id: string }) => ({ id, name: `Item ${id}` }),
    fail: (_: unknown, { code }: { code: string }) => {
      throw new GraphQLError(`failed with ${code}`, { extensions: { code, detail: 'kept' } });
    },
    hang: async () => {
      await hanging;
      return true;
    },
    greeting: () => 'hello',
  },
});

const inventoryResolvers = {
  Email: new GraphQLScalarType({
    name: 'Email',
    parseValue: (value) => {
      if (typeof value !== 'string' || !value.includes('@')) throw new GraphQLError('not an email address');
      return value;
    },
  }),
  Query: {
    crash: () => {
      throw new Error('connect ECONNREFUSED 10.1.2.3:5432 during select * from secrets at http://10.1.2.3:4002/graphql');
    },
    anonymousError: () => {
      throw new Error('row 17 of table internal_ledger is corrupt');
    },
    subscribe: (_: unknown, { email }: { email: string }) => email,
  },
  Item: {
    __resolveReference: ({ id }: { id: string }, ctx: { viewer: Viewer | null }) => ({ id, inStock: id !== 'sold-out', checkedBy: ctx.viewer?.id }),
  },
};

async function startInventory(): Promise<RunningServer> {
  const logger = createLogger('legacy-inventory', 'silent');
  const { app, registry } = createServiceApp({ service: 'legacy-inventory', logger, checks: {} });
  const nonces = createTestNonceStore();
  const httpServer = createServer(app);
  const apollo = new ApolloServer<{ viewer: Viewer | null }>({
    schema: buildSubgraphSchema({ typeDefs: parse(inventorySdl), resolvers: inventoryResolvers as never }),
    includeStacktraceInErrorResponses: true,
    plugins: [ApolloServerPluginInlineTraceDisabled()],
    // Like a subgraph on another GraphQL server: this error arrives with no extensions.code at all.
    formatError: (formatted) =>
      formatted.path?.[0] === 'anonymousError' ? { message: formatted.message, path: formatted.path } : formatted,
  });
  await apollo.start();
  app.use(
    '/graphql',
    jsonBody(),
    requireGatewaySignature({ secret: TEST_GATEWAY_SECRET, audience: 'legacy-inventory', nonces }),
    expressMiddleware(apollo, { context: async ({ res }) => ({ viewer: (res.locals.viewer as Viewer | null) ?? null }) }),
  );
  return {
    httpServer,
    registry,
    listen: async (port, host) => `http://127.0.0.1:${await listen(httpServer, port, host)}/graphql`,
    async close() {
      await apollo.stop();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await nonces.close();
    },
  };
}

export interface TestGraph {
  usersUrl: string;
  inventoryUrl: string;
  /** Env for a gateway on this graph: test secrets, silent logs, the supergraph in a temp file. */
  gatewayEnv(extra?: Record<string, string>): Record<string, string>;
  /** Writes a supergraph of this graph to `path`; `withGreeting` adds `Query.greeting`. */
  writeSupergraph(path: string, options?: { withGreeting?: boolean }): void;
  /** A fresh temporary file path for a supergraph. */
  supergraphPath(name: string): string;
  close(): Promise<void>;
}

/** An address nobody listens on: the supergraph files carry it, so only the env overrides can work. */
export const UNREACHABLE_URL = 'http://127.0.0.1:9/graphql';

export function composeSupergraph(subgraphs: { name: string; url: string; typeDefs: DocumentNode }[]): string {
  const result = composeServices(subgraphs);
  if (result.errors) throw new Error(result.errors.map((error) => error.message).join('\n'));
  return result.supergraphSdl;
}

export async function startTestGraph(): Promise<TestGraph> {
  let endHanging!: () => void;
  const hanging = new Promise<void>((resolve) => (endHanging = resolve));
  const nonces = createTestNonceStore();
  const users = await createSubgraphServer<RequestBase>({
    name: 'users',
    typeDefs: parse(usersSdl(true)),
    resolvers: usersResolvers(hanging) as never,
    logger: createLogger('users', 'silent'),
    gatewaySecret: TEST_GATEWAY_SECRET,
    nonces,
    production: false,
    checks: {},
    context: (base) => base,
    onClose: () => nonces.close(),
  });
  const inventory = await startInventory();
  const usersUrl = await users.listen(0, '127.0.0.1');
  const inventoryUrl = await inventory.listen(0, '127.0.0.1');
  const directory = mkdtempSync(join(tmpdir(), 'shopgraph-gateway-'));
  const defaultSupergraph = join(directory, 'supergraph.graphql');

  const writeSupergraph: TestGraph['writeSupergraph'] = (path, { withGreeting = false } = {}) => {
    const sdl = composeSupergraph([
      { name: 'users', url: UNREACHABLE_URL, typeDefs: parse(usersSdl(withGreeting)) },
      { name: 'legacy-inventory', url: UNREACHABLE_URL, typeDefs: parse(inventorySdl) },
    ]);
    writeFileSync(path, sdl);
  };
  writeSupergraph(defaultSupergraph);
  let files = 0;

  return {
    usersUrl,
    inventoryUrl,
    gatewayEnv: (extra = {}) => ({
      NODE_ENV: 'test',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      JWT_SECRET: TEST_JWT_SECRET,
      GATEWAY_SECRET: TEST_GATEWAY_SECRET,
      SUPERGRAPH_PATH: defaultSupergraph,
      // The short form for a platform name, the long form for any other: both must be honoured.
      USERS_URL: usersUrl,
      SUBGRAPH_URL_LEGACY_INVENTORY: inventoryUrl,
      ...extra,
    }),
    writeSupergraph,
    supergraphPath: (name) => join(directory, `${name}-${++files}.graphql`),
    async close() {
      endHanging();
      await Promise.all([users.close(), inventory.close()]);
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** A gateway built from `env` exactly as the process builds it, listening on a free port. */
export async function startGateway(env: Record<string, string>) {
  const server = await createGatewayServer(loadConfig(env));
  const url = await server.listen(0, '127.0.0.1');
  const origin = new URL(url).origin;
  /** The operator listener's origin: `${metricsOrigin}/metrics`. */
  const metricsOrigin = new URL(await server.listenMetrics(0, '127.0.0.1')).origin;
  return { server, url, origin, metricsOrigin, close: () => server.close() };
}

/** Serves an express app on a free port, for the plugins' own tests. */
export async function serveApp(app: Express) {
  const httpServer = createServer(app);
  const port = await listen(httpServer, 0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => httpServer.close(() => resolve())),
  };
}
