import { createServer } from 'node:http';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginLandingPageLocalDefault,
  ApolloServerPluginLandingPageProductionDefault,
} from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import { createLogger, createServiceApp, ErrorCode, errorHandler, jsonBody, listen, type Logger } from '@shopgraph/common';
import type { RunningServer } from '@shopgraph/common/subgraph';
import type { GatewayContext } from './context.js';
import { subgraphUrlFor, type GatewayConfig } from './env.js';
import { formatGatewayError } from './format-error.js';
import { useArmor } from './plugins/useArmor.js';
import { useAuth, viewerOf } from './plugins/useAuth.js';
import { useCors } from './plugins/useCors.js';
import { useMetrics } from './plugins/useMetrics.js';
import { useTokenLimit } from './plugins/useTokenLimit.js';
import { GatewayReadiness } from './readiness.js';
import { SignedDataSource } from './signed-data-source.js';
import { subgraphsOf, supergraphFromFile } from './supergraph-file.js';

/** Largest request body the gateway reads; larger ones are answered 413. */
const BODY_LIMIT = '1mb';

/**
 * Builds the gateway: the supergraph from `config.supergraphPath` (hot-reloaded), signed calls to
 * the subgraphs, bearer-token auth, operation limits, metrics and the service shell's `/health`,
 * `/ready` and `/metrics`. Tests build exactly this.
 */
export async function createGatewayServer(
  config: GatewayConfig,
  logger: Logger = createLogger('gateway', config.logLevel),
): Promise<RunningServer> {
  const readiness = new GatewayReadiness();
  const { app, registry } = createServiceApp({ service: 'gateway', logger, checks: readiness.checks });
  const httpServer = createServer(app);
  const metrics = useMetrics({ registry });
  const armor = useArmor({ limits: config.limits, production: config.production });

  const gateway = new ApolloGateway({
    supergraphSdl: supergraphFromFile({ path: config.supergraphPath, logger }),
    buildService: (subgraph) =>
      new SignedDataSource({
        name: subgraph.name,
        url: subgraphUrlFor(config, subgraph),
        gatewaySecret: config.gatewaySecret,
        timeoutMs: config.subgraphTimeoutMs,
      }),
    logger: logger.child({ component: 'apollo-gateway' }),
    // Apollo skips this when NODE_ENV=production; a hot-reloaded file should be checked there too.
    validateSupergraph: true,
  });
  gateway.onSchemaLoadOrUpdate(({ coreSupergraphSdl }) => {
    readiness.supergraphLoaded(subgraphsOf(coreSupergraphSdl), (subgraph) => subgraphUrlFor(config, subgraph));
  });

  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    introspection: !config.production,
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: armor.allowBatchedHttpRequests,
    formatError: formatGatewayError(logger),
    validationRules: armor.validationRules,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      config.production
        ? ApolloServerPluginLandingPageProductionDefault({ footer: false })
        : ApolloServerPluginLandingPageLocalDefault({ embed: true, footer: false }),
      metrics.plugin,
      // Armor's typings name @apollo/server's CommonJS build, ours its ESM build: same runtime objects.
      ...(armor.plugins as unknown as ApolloServerPlugin<GatewayContext>[]),
    ],
  });
  await apollo.start();

  app.use(
    '/graphql',
    useCors({ origins: config.corsOrigins }),
    useAuth({ jwtSecret: config.jwtSecret, onRejected: () => metrics.countError(ErrorCode.UNAUTHENTICATED) }),
    jsonBody(BODY_LIMIT),
    useTokenLimit({ maxTokens: config.limits.maxTokens, onRejected: () => metrics.countError('GRAPHQL_VALIDATION_FAILED') }),
    expressMiddleware(apollo, {
      context: async ({ req, res }): Promise<GatewayContext> => ({
        viewer: viewerOf(res),
        requestId: String(req.id),
        logger: req.log,
      }),
    }),
  );
  app.use(errorHandler(logger));

  return {
    httpServer,
    registry,
    async listen(port, host) {
      const bound = await listen(httpServer, port, host);
      return `http://${host && host !== '0.0.0.0' ? host : 'localhost'}:${bound}/graphql`;
    },
    async close() {
      // Stops the gateway too (and with it the supergraph file watch); the drain plugin closes the HTTP server.
      await apollo.stop();
      if (httpServer.listening) await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}
