import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { unwrapResolverError } from '@apollo/server/errors';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper/resolverMap.js';
import { expressMiddleware } from '@as-integrations/express5';
import type { NextFunction, Request, Response } from 'express';
import { GraphQLError, parse, type DocumentNode, type GraphQLFormattedError } from 'graphql';
import { Registry } from 'prom-client';
import { createDb, prepareSubgraphDatabase, type Db, type SubgraphName } from './db.js';
import { ErrorCode } from './errors.js';
import { createServiceApp, errorHandler, jsonBody, listen, type ReadinessCheck } from './http.js';
import { verifySignedRequest } from './internal-auth.js';
import type { Logger } from './logger.js';
import type { Viewer } from './viewer.js';

export type { GraphQLResolverMap };

/** What every subgraph resolver context starts from. */
export interface RequestBase {
  viewer: Viewer | null;
  requestId: string;
  logger: Logger;
}

export interface SubgraphServerOptions<Context extends object> {
  name: string;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<Context>;
  logger: Logger;
  gatewaySecret: string;
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
    logger.error({ err: original, path: formatted.path }, 'unexpected error in a resolver');
    return {
      message: 'Internal server error',
      ...(formatted.path ? { path: formatted.path } : {}),
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}

/** Refuses any request the gateway did not sign (401), so identities cannot be forged. */
export function requireGatewaySignature(secret: string) {
  return (req: Request, res: Response, next: NextFunction) => {
    const check = verifySignedRequest(secret, req.headers, req.rawBody ?? '');
    if (!check.ok) {
      req.log.warn({ reason: check.reason }, 'refused a request not signed by the gateway');
      res.status(401).json({
        errors: [{ message: 'Subgraphs answer only the gateway.', extensions: { code: ErrorCode.UNAUTHENTICATED } }],
      });
      return;
    }
    res.locals.viewer = check.viewer;
    next();
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

/** A federated subgraph over HTTP with the shared service shell, ready to `listen`. */
export async function createSubgraphServer<Context extends RequestBase>(
  options: SubgraphServerOptions<Context>,
): Promise<RunningServer> {
  const { app, registry } = createServiceApp({
    service: options.name,
    logger: options.logger,
    checks: options.checks,
    ...(options.registry ? { registry: options.registry } : {}),
  });
  const httpServer = createServer(app);
  const apollo = new ApolloServer<Context>({
    schema: buildSubgraphSchema([{ typeDefs: options.typeDefs, resolvers: options.resolvers as GraphQLResolverMap<unknown> }]),
    introspection: !options.production,
    includeStacktraceInErrorResponses: false,
    formatError: maskUnexpectedErrors(options.logger),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      ApolloServerPluginLandingPageDisabled(),
      // Inline traces are for Apollo's hosted studio; this platform exports its own metrics.
      ApolloServerPluginInlineTraceDisabled(),
      requestLogger(options.logger) as ApolloServerPlugin<Context>,
    ],
  });
  await apollo.start();
  app.use(
    '/graphql',
    jsonBody(),
    requireGatewaySignature(options.gatewaySecret),
    expressMiddleware(apollo, {
      context: async ({ req, res }) =>
        options.context({ viewer: (res.locals.viewer as Viewer | null) ?? null, requestId: String(req.id), logger: req.log }),
    }),
  );
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
  gatewaySecret: string;
  nodeEnv: string;
}

export interface ServeSubgraphOptions<Context extends RequestBase> {
  name: SubgraphName;
  config: SubgraphStartConfig;
  logger: Logger;
  typeDefs: DocumentNode;
  migrationsFolder: string;
  resolvers: GraphQLResolverMap<Context>;
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
  try {
    await prepareSubgraphDatabase(config.databaseUrl, db, name, options.migrationsFolder);
    await options.prepare?.(db);
  } catch (error) {
    await db.$client.end();
    throw error;
  }
  return createSubgraphServer<Context>({
    name,
    typeDefs: options.typeDefs,
    resolvers: options.resolvers,
    logger,
    registry,
    gatewaySecret: config.gatewaySecret,
    production: config.nodeEnv === 'production',
    checks: { postgres: () => db.execute('select 1') },
    context: (base) => options.context(db, base),
    onClose: () => db.$client.end(),
  });
}
