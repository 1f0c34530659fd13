import { fileURLToPath } from 'node:url';
import { baseEnv, ConfigError, DEFAULT_SESSION_KEY_PREFIX, gatewaySecretEnv, jwtEnv, listenEnv, parseEnv, portSchema, postgresEnv, redisEnv, toBaseConfig } from '@shopgraph/common';
import { defaultCacheKeyPrefix } from '@shopgraph/cache';
import { z } from 'zod';
import { entityCacheEnvSchema, entityCacheProblems, entityCacheRules, toEntityCacheConfig } from './entity-cache/entity-cache-env.js';
import { protectionEnvSchema, protectionProblems, toProtectionConfig } from './protection/protection-env.js';
import { responseCacheEnvSchema, toResponseCacheConfig } from './response-cache/response-cache-env.js';
import { subscriptionsEnvSchema, toSubscriptionsConfig } from './subscriptions/subscriptions-env.js';
import { subgraphUpstreamOverrides, toUpstreamConfig, upstreamEnvSchema } from './upstream/upstream-env.js';

const positiveInt = z.coerce.number().int().positive();

const httpUrl = z.string().refine((value) => {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}, 'must be an http:// or https:// URL');

// Tokens are verified with JWT_SECRET, subgraph calls signed with GATEWAY_SECRET, rate limits and
// persisted queries kept in Redis. DATABASE_URL is never connected to: it only names the response
// cache's namespace as the workers name it. No admin: the gateway has none.
const schema = z.object({
  ...baseEnv.shape,
  ...jwtEnv.shape,
  ...gatewaySecretEnv.shape,
  ...redisEnv.shape,
  ...postgresEnv.shape,
  ...listenEnv.shape,
  GATEWAY_PORT: portSchema.default(4000),
  /** The operator listener's port, for `/metrics`: GATEWAY_PORT + 1000 unless set. */
  GATEWAY_METRICS_PORT: portSchema.optional(),
  /** Where the operator listener listens: loopback unless opened for a scraper (HOST does not open it). */
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** The supergraph to serve; watched and hot-reloaded when it changes. */
  SUPERGRAPH_PATH: z.string().default(fileURLToPath(new URL('../../schema/supergraph.graphql', import.meta.url))),
  CORS_ORIGINS: z.string().default('http://localhost:3000'),
  /**
   * @apollo/gateway's own switch (it reads process.env): unless disabled it reports usage to
   * Apollo's servers and probes cloud metadata endpoints to describe the host. Off unless asked for.
   */
  APOLLO_TELEMETRY_DISABLED: z.stringbool().default(true),
  SUBGRAPH_TIMEOUT_MS: positiveInt.default(10_000),
  MAX_DEPTH: positiveInt.default(10),
  MAX_ALIASES: positiveInt.default(15),
  MAX_TOKENS: positiveInt.default(2000),
  MAX_DIRECTIVES: positiveInt.default(20),
  // graphql-armor's cost grows 1.5x per level: a client's "my orders with items, products and
  // payments" page (depth 5, 50 rows) costs about 10,000, so the default leaves room for it.
  MAX_COST: positiveInt.default(25000),
  /** Where the users subgraph publishes ended sessions: its SESSION_REDIS_PREFIX. */
  SESSION_REDIS_PREFIX: z.string().min(1).default(DEFAULT_SESSION_KEY_PREFIX),
  /** How long a gateway trusts what Redis said of a user's sessions: an ended session is refused at most this much later. */
  SESSION_CHECK_CACHE_MS: z.coerce.number().int().min(0).max(10_000).default(2000),
  ...upstreamEnvSchema.shape,
  ...protectionEnvSchema.shape,
  ...responseCacheEnvSchema.shape,
  ...entityCacheEnvSchema.shape,
  ...subscriptionsEnvSchema.shape,
});

/** `SUBGRAPH_URL_<NAME>` overrides the URL the supergraph gives the subgraph called `name`. */
const SUBGRAPH_URL_PREFIX = 'SUBGRAPH_URL_';
/** Shorter spellings for the platform's own subgraphs, as `npm start` and docker-compose set them. */
const SHORT_URL_NAMES = ['PRODUCTS', 'USERS', 'ORDERS', 'PAYMENTS'] as const;

/** The env name part of a subgraph called `name` in the supergraph: `order-history` → `ORDER_HISTORY`. */
export const subgraphEnvName = (name: string) => name.toUpperCase().replace(/[^A-Z0-9]/g, '_');

export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxDirectives: number;
  maxCost: number;
}

export type GatewayConfig = ReturnType<typeof toGatewayConfig>;

/** Every subgraph URL override in `source`, keyed by subgraph env name, with the problems found. */
function subgraphUrlOverrides(source: Record<string, string | undefined>) {
  const given: [envName: string, subgraph: string, url: string][] = [];
  for (const short of SHORT_URL_NAMES) {
    const url = source[`${short}_URL`];
    if (url) given.push([`${short}_URL`, short, url]);
  }
  // The long form comes last so that it wins over the short one.
  for (const [envName, url] of Object.entries(source)) {
    if (envName.startsWith(SUBGRAPH_URL_PREFIX) && url) given.push([envName, envName.slice(SUBGRAPH_URL_PREFIX.length), url]);
  }
  const problems = given.flatMap(([envName, , url]) => {
    const parsed = httpUrl.safeParse(url);
    return parsed.success ? [] : [`  - ${envName}: ${parsed.error.issues[0]?.message ?? 'invalid'}`];
  });
  return { urls: Object.fromEntries(given.map(([, subgraph, url]) => [subgraph, url])), problems };
}

function toGatewayConfig(
  env: z.output<typeof schema>,
  subgraphUrls: Record<string, string>,
  upstreamOverrides: ReturnType<typeof subgraphUpstreamOverrides>['overrides'],
  entityRules: ReturnType<typeof entityCacheRules>['rules'],
) {
  const limits: OperationLimits = {
    maxDepth: env.MAX_DEPTH,
    maxAliases: env.MAX_ALIASES,
    maxTokens: env.MAX_TOKENS,
    maxDirectives: env.MAX_DIRECTIVES,
    maxCost: env.MAX_COST,
  };
  return {
    ...toBaseConfig(env),
    jwtSecret: env.JWT_SECRET,
    gatewaySecret: env.GATEWAY_SECRET,
    redisUrl: env.REDIS_URL,
    production: env.NODE_ENV === 'production',
    port: env.GATEWAY_PORT,
    host: env.HOST,
    metrics: { port: env.GATEWAY_METRICS_PORT ?? (env.GATEWAY_PORT === 0 ? 0 : env.GATEWAY_PORT + 1000), host: env.METRICS_HOST },
    supergraphPath: env.SUPERGRAPH_PATH,
    apolloTelemetry: !env.APOLLO_TELEMETRY_DISABLED,
    /** By `subgraphEnvName`: the URL to call instead of the supergraph's. */
    subgraphUrls,
    corsOrigins: env.CORS_ORIGINS.split(',').map((origin) => origin.trim()).filter(Boolean),
    subgraphTimeoutMs: env.SUBGRAPH_TIMEOUT_MS,
    limits,
    /** Replicas, balancing, timeouts, retries and health of the subgraph calls. */
    upstream: toUpstreamConfig(env, upstreamOverrides),
    protection: toProtectionConfig(env),
    /** Null when RESPONSE_CACHE is off. */
    responseCache: toResponseCacheConfig(env),
    /** Null when ENTITY_CACHE is off; its entries live beside the response cache's, under the same prefix and tags. */
    entityCache: toEntityCacheConfig(env, entityRules, env.CACHE_KEY_PREFIX ?? defaultCacheKeyPrefix(env.DATABASE_URL)),
    /** Ended sessions (logout, logoutEverywhere, role or password changed, account deleted). */
    sessions: { redisPrefix: env.SESSION_REDIS_PREFIX, cacheMs: env.SESSION_CHECK_CACHE_MS },
    /** Limits, heartbeats and the events' namespace of the Subscription root. */
    subscriptions: toSubscriptionsConfig(env),
  };
}

/** The gateway's configuration, from the environment (the only reader of it). */
export function loadConfig(source: Record<string, string | undefined> = process.env): GatewayConfig {
  const overrides = subgraphUrlOverrides(source);
  const upstream = subgraphUpstreamOverrides(source);
  const entityRules = entityCacheRules(source);
  const perSubgraphProblems = [...overrides.problems, ...upstream.problems, ...entityRules.problems];
  // Every check runs before any fails, so one start lists every problem.
  let env: z.output<typeof schema>;
  try {
    env = parseEnv(schema, source);
  } catch (error) {
    if (error instanceof ConfigError && perSubgraphProblems.length > 0) {
      throw new ConfigError(`${error.message}\n${perSubgraphProblems.join('\n')}`);
    }
    throw error;
  }
  const problems = [...perSubgraphProblems, ...protectionProblems(env), ...entityCacheProblems(env)];
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  return toGatewayConfig(env, overrides.urls, upstream.overrides, entityRules.rules);
}

/** The URL the gateway calls for a subgraph: its env override, or the supergraph's. */
export function subgraphUrlFor(config: Pick<GatewayConfig, 'subgraphUrls'>, subgraph: { name: string; url?: string }): string {
  const url = config.subgraphUrls[subgraphEnvName(subgraph.name)] ?? subgraph.url;
  if (!url) {
    throw new ConfigError(`The supergraph gives subgraph ${subgraph.name} no URL: set ${SUBGRAPH_URL_PREFIX}${subgraphEnvName(subgraph.name)}.`);
  }
  return url;
}
