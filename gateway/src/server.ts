import { createServer } from 'node:http';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginLandingPageLocalDefault,
  ApolloServerPluginLandingPageProductionDefault,
} from '@apollo/server/plugin/landingPage/default';
import { expressMiddleware } from '@as-integrations/express5';
import { createAccessLogger, createLogger, createMetricsServer, createRedisClient, createServiceApp, ErrorCode, errorHandler, jsonBody, listen, reportRedisOutages, REQUEST_REDIS_COMMAND_TIMEOUT_MS, type Logger } from '@shopgraph/common';
import type { RunningServer } from '@shopgraph/common/subgraph';
import type { GatewayContext, GatewayContextFactory } from './context.js';
import { SessionCheck } from './auth/session-check.js';
import { useEntityCache } from './entity-cache/use-entity-cache.js';
import { subgraphEnvName, subgraphUrlFor, type GatewayConfig } from './env.js';
import { formatGatewayError } from './format-error.js';
import { apolloOptionsOf, frontDoorOf, handlersOf } from './plugins/compose.js';
import type { GatewayPlugin } from './plugins/plugin.js';
import { useArmor } from './plugins/useArmor.js';
import { useAuth, viewerOf } from './plugins/useAuth.js';
import { useClientErrors } from './plugins/useClientErrors.js';
import { useUnavailableStatus } from './plugins/useUnavailableStatus.js';
import { useCors } from './plugins/useCors.js';
import { useCredentialLimit } from './plugins/useCredentialLimit.js';
import { useMetrics } from './plugins/useMetrics.js';
import { PERSISTED_QUERY_NOT_ALLOWED, usePersistedOperations } from './plugins/usePersistedOperations.js';
import { RATE_LIMITED, useRateLimit } from './plugins/useRateLimit.js';
import { useResponseCache } from './plugins/useResponseCache.js';
import { useSubscriptions } from './plugins/useSubscriptions.js';
import { useTokenLimit } from './plugins/useTokenLimit.js';
import { clientIpResolver, type TrustProxy } from './protection/client-ip.js';
import { RedisKeyValueCache } from './protection/redis-key-value-cache.js';
import { shopgraphMutationTags } from './response-cache/mutation-tags.js';
import type { Purges } from './response-cache/purge.js';
import { SupergraphVersion } from './response-cache/supergraph-version.js';
import { GatewayReadiness, probeHealth } from './readiness.js';
import { SignedDataSource } from './signed-data-source.js';
import { shopgraphLiveFields } from './subscriptions/live-fields.js';
import { shopgraphMutationEvents } from './subscriptions/mutation-events.js';
import { subgraphsOf, supergraphFromFile } from './supergraph-file.js';
import { DistinctRepresentationsDataSource } from './upstream/distinct-representations.js';
import { Upstreams } from './upstream/upstreams.js';

export interface GatewayServer extends RunningServer {
  /** Serves `/metrics` on the operator listener: `port` (0 = any free port) on `host`; resolves with its URL. */
  listenMetrics(port: number, host?: string): Promise<string>;
}

/** Largest request body the gateway reads; larger ones are answered 413. */
const BODY_LIMIT_BYTES = 1024 * 1024;

/** `login` and `register` per client address: a person signs in a few times, a script guesses (see useCredentialLimit). */
const credentialLimit = { fields: ['login', 'register'], perIp: { points: 30, durationS: 15 * 60 } };

/**
 * Builds the gateway: the supergraph from `config.supergraphPath` (hot-reloaded), signed calls to
 * the subgraphs, bearer-token auth, operation limits, and the service shell's `/health` and
 * `/ready`; its `/metrics` on an operator listener of its own (`listenMetrics`), never on the public
 * one. Tests build exactly this.
 */
export async function createGatewayServer(
  config: GatewayConfig,
  logger: Logger = createLogger('gateway', config.logLevel),
): Promise<GatewayServer> {
  // Rate limits, persisted queries and ended sessions; commands fail fast when Redis is away
  // (the first two degrade, bearer tokens are refused, /ready answers 503). Not auto-pipelined: the
  // entity events of a mutation define their Lua command on it at first use (see
  // `enableAutoPipelining` in packages/common/src/redis.ts).
  const redis = createRedisClient(config.redisUrl, { maxRetriesPerRequest: 1, commandTimeout: REQUEST_REDIS_COMMAND_TIMEOUT_MS });
  reportRedisOutages(redis, logger, 'rate limits, persisted queries, sessions');
  const readiness = new GatewayReadiness({ redis: () => redis.ping() });
  // One access logger for every line the gateway writes per request, in express or at the front door.
  const accessLog = createAccessLogger('gateway', { logLevel: logger.level, nodeEnv: config.nodeEnv });
  const { app, registry } = createServiceApp({ service: 'gateway', logger, checks: readiness.checks, metricsRoute: false, accessLog });
  // The metrics name every subgraph URL: for operators, never for the public listener.
  const metricsServer = createMetricsServer(registry);
  const metrics = useMetrics({ registry });
  // req.ip (rate limits, ip-hash) is the client's only through the proxies trusted here.
  app.set('trust proxy', config.protection.trustProxy);
  const clientIpOf = clientIpResolver(app.get('trust proxy fn') as TrustProxy);
  const sessions = new SessionCheck({ redis, keyPrefix: config.sessions.redisPrefix, cacheMs: config.sessions.cacheMs });
  const { rateLimit, persistedOperations } = config.protection;
  const allowList = persistedOperations && usePersistedOperations({ ...persistedOperations, onRejected: () => metrics.countError(PERSISTED_QUERY_NOT_ALLOWED) });
  // Part of every cache key: an answer cached under one supergraph never answers under another.
  const supergraph = new SupergraphVersion();
  // In front of every subgraph's _entities fetches (buildService below); purged with the response cache.
  const entityCache =
    config.entityCache &&
    useEntityCache({
      ...config.entityCache,
      redisUrl: config.redisUrl,
      supergraph,
      envNameOf: subgraphEnvName,
      purgeOwnMutations: config.responseCache ? undefined : shopgraphMutationTags,
      registry,
      logger,
    });
  const responseCache =
    config.responseCache &&
    useResponseCache({
      ...config.responseCache,
      redisUrl: config.redisUrl,
      mutationTags: shopgraphMutationTags,
      purgesAlso: entityCache ? [entityCache.purgedLevels] : [],
      // Entries stored under another allow-list must not answer requests this one refuses.
      keyVariant: allowList?.only ? allowList.version : undefined,
      supergraph,
      jwtSecret: config.jwtSecret,
      sessions,
      registry,
      logger,
      accessLog,
    });
  // The purges after mutations, the response cache's or else the entity cache's: a mutation's
  // entity events wait for them.
  const purges: Purges | undefined = responseCache ? responseCache.purges : entityCache ? entityCache.purges : undefined;
  const subscriptions = useSubscriptions({
    ...config.subscriptions,
    redisUrl: config.redisUrl,
    redis,
    jwtSecret: config.jwtSecret,
    // Read from Redis at each check, not trusted for SESSION_CHECK_CACHE_MS: a subscription outlives
    // requests, and the push after a logout must not go out.
    sessions: new SessionCheck({ redis, keyPrefix: config.sessions.redisPrefix, cacheMs: 0 }),
    sessionKeyPrefix: config.sessions.redisPrefix,
    liveFields: shopgraphLiveFields,
    mutationEvents: shopgraphMutationEvents,
    mutationPurged: (requestContext) => purges?.afterMutation(requestContext) ?? Promise.resolve(),
    registry,
    logger,
  });
  // The request path in one direction: identify the client → limits → cache → execute → store.
  // Each hook runs in this order among the plugins that have it (plugins/plugin.ts): the rate
  // limits' front-door step before the cache's lookup, the allow-list before the lookup, the
  // token limit after it (a hit passed it when it was stored), Apollo plugins in this order too
  // (the cache decides on the status the ones before it set).
  const plugins: GatewayPlugin[] = [
    metrics,
    useCors({ origins: config.corsOrigins }),
    useAuth({ jwtSecret: config.jwtSecret, sessions, onRejected: () => metrics.countError(ErrorCode.UNAUTHENTICATED) }),
    ...(rateLimit.enabled
      ? [
          useRateLimit({
            redis,
            registry,
            keyPrefix: rateLimit.redisPrefix,
            ...rateLimit,
            // The client address as express's req.ip gives it, through the proxies trusted above.
            clientIpOf,
            onLimited: () => metrics.countError(RATE_LIMITED),
          }),
        ]
      : []),
    ...(allowList ? [allowList] : []),
    useClientErrors(),
    useUnavailableStatus(),
    ...(rateLimit.enabled
      ? [useCredentialLimit({ redis, keyPrefix: `${rateLimit.redisPrefix}credentials:`, ...credentialLimit, onLimited: () => metrics.countError(RATE_LIMITED) })]
      : []),
    useArmor({ limits: config.limits, production: config.production }),
    // Before the cache's lookup: a subscription is served here, never looked up.
    subscriptions,
    ...(responseCache ? [responseCache] : []),
    ...(entityCache ? [entityCache] : []),
    useTokenLimit({ maxTokens: config.limits.maxTokens, onRejected: () => metrics.countError('GRAPHQL_VALIDATION_FAILED') }),
  ];
  const httpServer = createServer(frontDoorOf(app, plugins));
  subscriptions.attach(httpServer);
  const upstreams = new Upstreams({
    config: config.upstream,
    envNameOf: subgraphEnvName,
    urlOf: (subgraph) => subgraphUrlFor(config, subgraph),
    registry,
    logger,
    probe: (url, timeoutMs) => probeHealth(url, timeoutMs).then(() => true, () => false),
  });

  // Read by ApolloGateway's constructor from the environment, and nowhere else.
  process.env.APOLLO_TELEMETRY_DISABLED = String(!config.apolloTelemetry);
  const gateway = new ApolloGateway({
    supergraphSdl: supergraphFromFile({ path: config.supergraphPath, logger }),
    buildService: (subgraph) => {
      const source = new DistinctRepresentationsDataSource(
        new SignedDataSource({ name: subgraph.name, gatewaySecret: config.gatewaySecret, upstream: upstreams.for(subgraph) }),
      );
      return entityCache ? entityCache.wrap(subgraph.name, source) : source;
    },
    logger: logger.child({ component: 'apollo-gateway' }),
    // Apollo skips this when NODE_ENV=production; a hot-reloaded file should be checked there too.
    validateSupergraph: true,
  });
  gateway.onSchemaLoadOrUpdate(({ apiSchema, coreSupergraphSdl }) => {
    subscriptions.schemaLoaded(apiSchema);
    // Registered before Apollo Server's own listener: the version moves before the schema does.
    supergraph.loaded(coreSupergraphSdl);
    entityCache?.schemaLoaded(apiSchema);
    const subgraphs = subgraphsOf(coreSupergraphSdl);
    upstreams.retain(subgraphs.map((subgraph) => subgraph.name));
    readiness.supergraphLoaded(subgraphs, (subgraph) => upstreams.for(subgraph).replicas.map((replica) => replica.url));
  });

  const fromPlugins = apolloOptionsOf(plugins);
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    introspection: !config.production,
    csrfPrevention: true,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: fromPlugins.allowBatchedHttpRequests,
    formatError: formatGatewayError(logger),
    validationRules: fromPlugins.validationRules,
    persistedQueries: { cache: new RedisKeyValueCache(redis, config.protection.apq.redisPrefix, logger), ttl: config.protection.apq.ttlS },
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      config.production
        ? ApolloServerPluginLandingPageProductionDefault({ footer: false })
        : ApolloServerPluginLandingPageLocalDefault({ embed: true, footer: false }),
      ...fromPlugins.plugins,
    ],
  });
  await apollo.start();
  // Connected before the first request, so rate limits count in Redis rather than in the
  // in-process fallback; an unreachable Redis is logged above and does not stop the start.
  await redis.ping().catch(() => undefined);
  const contextOf: GatewayContextFactory = async ({ req, res }) => ({
    viewer: viewerOf(res),
    requestId: String(req.id),
    clientIp: req.ip ?? '',
    logger: req.log,
  });
  for (const plugin of plugins) plugin.onApolloStart?.(apollo, contextOf);

  app.use(
    '/graphql',
    ...handlersOf(plugins, 'onRequest'),
    jsonBody(BODY_LIMIT_BYTES),
    ...handlersOf(plugins, 'onParams'),
    ...handlersOf(plugins, 'onExecute'),
    expressMiddleware(apollo, { context: contextOf }),
  );
  app.use(errorHandler(logger));

  return {
    httpServer,
    registry,
    async listen(port, host) {
      const bound = await listen(httpServer, port, host);
      return `http://${host && host !== '0.0.0.0' ? host : 'localhost'}:${bound}/graphql`;
    },
    async listenMetrics(port, host) {
      const bound = await listen(metricsServer, port, host);
      return `http://${host && host !== '0.0.0.0' ? host : 'localhost'}:${bound}/metrics`;
    },
    async close() {
      await subscriptions.shutDown();
      // Stops the gateway too (and with it the supergraph file watch); the drain plugin closes the HTTP server.
      await apollo.stop();
      if (httpServer.listening) await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      if (metricsServer.listening) await new Promise<void>((resolve) => metricsServer.close(() => resolve()));
      upstreams.close();
      for (const plugin of plugins) await plugin.close?.();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}
