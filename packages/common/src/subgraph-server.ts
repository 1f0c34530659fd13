import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { unwrapResolverError } from '@apollo/server/errors';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { BREAK, GraphQLError, parse, visit, type DocumentNode, type GraphQLFormattedError } from 'graphql';
import { Registry } from 'prom-client';
import { createDb, prepareSubgraphDatabase, type Db, type SubgraphName } from './db.js';
import { ErrorCode, isDependencyUnavailable, serviceUnavailable } from './errors.js';
import { createServiceApp, errorHandler, listen, type ReadinessCheck } from './http.js';
import { createRedisNonceStore, type NonceStore } from './internal-auth.js';
import { createAccessLogger, type Logger } from './logger.js';
import { staticCacheControl } from './static-cache-control.js';
import { refuseNulCharacters } from './text-input.js';
import { createRedisClient, reportRedisOutages, REQUEST_REDIS_COMMAND_TIMEOUT_MS } from './redis.js';
import { graphqlRoute, isGraphQLRequest } from './subgraph-route.js';
import type { Viewer } from './viewer.js';

export { NONCE_STORE_UNAVAILABLE, requireGatewaySignature, type GatewaySignatureOptions } from './gateway-signature.js';

export type { GraphQLResolverMap };

/**
 * A subgraph's resolver map, typed where it is written by the subgraph's generated `Resolvers`
 * (GraphQL Code Generator, `federation: true`; see subgraphs/products/codegen.ts). Their
 * `__resolveReference(reference, context, info)` is what @apollo/subgraph calls, while its
 * GraphQLResolverMap types every entry as a field resolver: the map is handed over as is.
 */
export type SubgraphResolvers = object;

/** What every subgraph resolver context starts from. */
export interface RequestBase {
  viewer: Viewer | null;
  requestId: string;
  logger: Logger;
}

export interface SubgraphServerOptions<Context extends object> {
  /** The subgraph's name in the supergraph: the audience the gateway's signatures must name. */
  name: string;
  typeDefs: DocumentNode;
  resolvers: SubgraphResolvers;
  logger: Logger;
  /** Where the access line of each gateway call goes (`createAccessLogger`); `logger` when absent. */
  accessLog?: Logger;
  gatewaySecret: string;
  /** Where the nonces of accepted signatures are remembered (shared by every replica). */
  nonces: NonceStore;
  production: boolean;
  checks: Record<string, ReadinessCheck>;
  registry?: Registry;
  /** Builds the per-request context: this is where per-request DataLoaders are made. */
  context: (base: RequestBase) => Context;
  /** Called by `close()` after the HTTP server has drained (pools, Redis …). */
  onClose?: () => Promise<void>;
}

export interface RunningServer {
  httpServer: Server;
  registry: Registry;
  /** Listens on `port` (0 = any free port) and resolves with the GraphQL URL. */
  listen(port: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * Masks everything that is not a deliberate GraphQLError: the client sees "Internal server
 * error" and the request id, the log keeps the cause. No SQL, stack or URL leaves the process.
 * A dependency that cannot be reached (`isDependencyUnavailable`) is SERVICE_UNAVAILABLE instead.
 */
export function maskUnexpectedErrors(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const code = formatted.extensions?.code;
    const deliberate = original instanceof GraphQLError && code !== ErrorCode.INTERNAL_SERVER_ERROR;
    if (deliberate || (code && code !== ErrorCode.INTERNAL_SERVER_ERROR)) {
      const { stacktrace: _stack, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    if (isDependencyUnavailable(original)) {
      // Postgres or Redis away (restarting, failing over): the client may try again shortly.
      logger.warn({ err: original, path: formatted.path }, 'a dependency is unavailable: answered SERVICE_UNAVAILABLE');
      return {
        message: serviceUnavailable().message,
        ...(formatted.path ? { path: formatted.path } : {}),
        ...(formatted.locations ? { locations: formatted.locations } : {}),
        extensions: { code: ErrorCode.SERVICE_UNAVAILABLE },
      };
    }
    logger.error({ err: original, path: formatted.path }, 'unexpected error in a resolver');
    return {
      message: 'Internal server error',
      ...(formatted.path ? { path: formatted.path } : {}),
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}

function requestLogger(logger: Logger): ApolloServerPlugin<RequestBase> {
  return {
    async requestDidStart({ request }) {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            const code = error.extensions?.code;
            if (code !== ErrorCode.INTERNAL_SERVER_ERROR) {
              (contextValue.logger ?? logger).info({ code, operation: request.operationName }, error.message);
            }
          }
        },
      };
    },
  };
}

/** Whether an SDL gives any `@cacheControl` hint. */
function hasCacheHints(typeDefs: DocumentNode): boolean {
  let found = false;
  visit(typeDefs, {
    Directive(node) {
      if (node.name.value !== 'cacheControl') return undefined;
      found = true;
      return BREAK;
    },
  });
  return found;
}

/** A federated subgraph over HTTP with the shared service shell, ready to `listen`. */
export async function createSubgraphServer<Context extends RequestBase>(
  options: SubgraphServerOptions<Context>,
): Promise<RunningServer> {
  const { app, registry } = createServiceApp({
    service: options.name,
    logger: options.logger,
    checks: options.checks,
    ...(options.registry ? { registry: options.registry } : {}),
    ...(options.accessLog ? { accessLog: options.accessLog } : {}),
  });
  // POST /graphql, every call the gateway makes, is served on node:http (./subgraph-route.ts);
  // the express app answers the rest. Nothing reaches the route before Apollo has started.
  let serveGraphQL: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const httpServer = createServer((req, res) => (serveGraphQL && isGraphQLRequest(req.url) ? serveGraphQL(req, res) : app(req, res)));
  const apollo = new ApolloServer<Context>({
    schema: buildSubgraphSchema([{ typeDefs: options.typeDefs, resolvers: options.resolvers as GraphQLResolverMap<unknown> }]),
    introspection: !options.production,
    includeStacktraceInErrorResponses: false,
    // What CSRF prevention guards against cannot reach a subgraph: the route executes JSON bodies
    // only and serves only calls the gateway signed (./subgraph-route.ts). Its check parsed every
    // call's content type (whatwg-mimetype), 4-6 % of a subgraph's CPU on an uncached read.
    csrfPrevention: false,
    formatError: maskUnexpectedErrors(options.logger),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      // Inline traces are for Apollo's hosted studio; this platform exports its own metrics.
      ApolloServerPluginInlineTraceDisabled(),
      // The cache-control header from the operation, not per resolved field (./static-cache-control.ts).
      // Without a hint every answer is uncacheable, as the gateway reads an answer without a
      // cache-control header (gateway/src/upstream/subgraph-response.ts).
      ApolloServerPluginCacheControlDisabled(),
      ...(hasCacheHints(options.typeDefs) ? [staticCacheControl<Context>()] : []),
      requestLogger(options.logger) as ApolloServerPlugin<Context>,
      refuseNulCharacters<Context>(),
    ],
  });
  await apollo.start();
  serveGraphQL = graphqlRoute<Context>({
    apollo,
    signature: { secret: options.gatewaySecret, audience: options.name, nonces: options.nonces },
    logger: options.logger,
    ...(options.accessLog ? { accessLog: options.accessLog } : {}),
    context: options.context,
  });
  app.use(errorHandler(options.logger));

  return {
    httpServer,
    registry,
    async listen(port, host) {
      const bound = await listen(httpServer, port, host);
      return `http://${host && host !== '0.0.0.0' ? host : 'localhost'}:${bound}/graphql`;
    },
    async close() {
      await apollo.stop();
      if (httpServer.listening) await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await options.onClose?.();
    },
  };
}

/**
 * What a subgraph package keeps beside its code: `schema.graphql` (its SDL) and `drizzle/`
 * (its migrations). `moduleUrl` is the `import.meta.url` of a module in the package's `src/`.
 */
export function subgraphFiles(moduleUrl: string): { typeDefs: DocumentNode; migrationsFolder: string } {
  return {
    typeDefs: parse(readFileSync(fileURLToPath(new URL('../schema.graphql', moduleUrl)), 'utf8')),
    migrationsFolder: fileURLToPath(new URL('../drizzle', moduleUrl)),
  };
}

/** The part of a subgraph's configuration that starting it needs. */
export interface SubgraphStartConfig {
  databaseUrl: string;
  /** Remembers the nonces of the gateway's signatures, shared by every replica. */
  redisUrl: string;
  gatewaySecret: string;
  nodeEnv: string;
}

export interface ServeSubgraphOptions<Context extends RequestBase> {
  name: SubgraphName;
  config: SubgraphStartConfig;
  logger: Logger;
  typeDefs: DocumentNode;
  migrationsFolder: string;
  resolvers: SubgraphResolvers;
  /** The per-request context over the subgraph's own database. */
  context: (db: Db, base: RequestBase) => Context;
  /** Runs after the migrations and before serving, e.g. to ensure the admin. */
  prepare?: (db: Db) => Promise<void>;
}

/**
 * The start-up every subgraph shares: a pool acting as its role, its schema bootstrapped and
 * migrated, then the federated server over it. Tests build exactly what the process runs.
 */
export async function serveSubgraph<Context extends RequestBase>(options: ServeSubgraphOptions<Context>): Promise<RunningServer> {
  const { name, config, logger } = options;
  const registry = new Registry();
  const db = createDb({ url: config.databaseUrl, subgraph: name, logger, registry });
  // A Redis that is away refuses at once and the request is refused (503), never left waiting; it
  // reconnects in the background. Auto-pipelined: the nonce claims of the requests a busy
  // subgraph reads in one turn of its event loop go out in one write.
  const redis = createRedisClient(config.redisUrl, {
    connectionName: `shopgraph:${name}:signature-nonces`,
    maxRetriesPerRequest: 1,
    commandTimeout: REQUEST_REDIS_COMMAND_TIMEOUT_MS,
    enableAutoPipelining: true,
  });
  reportRedisOutages(redis, logger, 'signature nonces: gateway requests are refused while it is away');
  const release = async () => {
    await db.$client.end();
    redis.disconnect();
  };
  try {
    // Production runs on a database an operator created (`npm run setup -- --create-database`);
    // a missing one is a typo to report, not a new shop to start.
    await prepareSubgraphDatabase(config.databaseUrl, db, name, options.migrationsFolder, { createDatabase: config.nodeEnv !== 'production' });
    await options.prepare?.(db);
  } catch (error) {
    await release();
    throw error;
  }
  return createSubgraphServer<Context>({
    name,
    typeDefs: options.typeDefs,
    resolvers: options.resolvers,
    logger,
    accessLog: createAccessLogger(name, { logLevel: logger.level, nodeEnv: config.nodeEnv }),
    registry,
    gatewaySecret: config.gatewaySecret,
    nonces: createRedisNonceStore(redis),
    production: config.nodeEnv === 'production',
    checks: { postgres: () => db.execute('select 1'), redis: () => redis.ping() },
    context: (base) => options.context(db, base),
    onClose: release,
  });
}
