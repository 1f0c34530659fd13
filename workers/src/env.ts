import { adminEnv, baseEnv, listenEnv, parseEnv, paymentProviderKeyEnv, portSchema, postgresEnv, postgresUrlSchema, redisEnv, toAdminConfig, toBaseConfig, type SubgraphName } from '@shopgraph/common';
import { defaultCacheKeyPrefix } from '@shopgraph/cache';
import { DEFAULT_QUEUE_PREFIX, defaultConcurrency, isHashTaggedPrefix } from '@shopgraph/queues';
import { z } from 'zod';

const milliseconds = z.coerce.number().int().positive();
const concurrency = z.coerce.number().int().min(1).max(1000);

/** The subgraphs whose service functions the processors call, each possibly in its own database. */
export const workerSubgraphs = ['products', 'orders', 'payments'] as const satisfies readonly SubgraphName[];
export type WorkerSubgraph = (typeof workerSubgraphs)[number];

// The subgraphs' databases, Redis for the queues, the admin for the dashboard's basic auth, the
// payment provider's API key for charges and refunds; the workers neither verify tokens nor call
// the subgraphs, so they need neither of those secrets.
const schema = z.object({
  ...baseEnv.shape,
  ...postgresEnv.shape,
  ...redisEnv.shape,
  ...adminEnv.shape,
  ...paymentProviderKeyEnv.shape,
  /** Where each subgraph's schema lives, as its own process reads it; each defaults to DATABASE_URL. */
  PRODUCTS_DATABASE_URL: postgresUrlSchema.optional(),
  ORDERS_DATABASE_URL: postgresUrlSchema.optional(),
  PAYMENTS_DATABASE_URL: postgresUrlSchema.optional(),
  ...listenEnv.shape,
  DASHBOARD_PORT: portSchema.default(4010),
  PAYMENT_PROVIDER_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:4005'),
  PAYMENT_PROVIDER_TIMEOUT_MS: milliseconds.default(10_000),
  /** How long stock stays reserved for an order awaiting payment. */
  RESERVATION_TTL_MS: milliseconds.default(15 * 60 * 1000),
  /** How long a paid order's held stock waits for others' to be committed with it (docs/checkout.md, "Settling by sweep"). */
  SETTLE_WINDOW_MS: milliseconds.default(1000),
  WORKER_CONCURRENCY_PAYMENTS: concurrency.default(defaultConcurrency.payments),
  WORKER_CONCURRENCY_RESERVATIONS: concurrency.default(defaultConcurrency.reservations),
  WORKER_CONCURRENCY_REFUNDS: concurrency.default(defaultConcurrency.refunds),
  WORKER_CONCURRENCY_EXPIRIES: concurrency.default(defaultConcurrency.expiries),
  /** How often a worker looks for jobs whose worker died (their lock expired) to run them again. */
  STALLED_INTERVAL_MS: milliseconds.default(30_000),
  /** How long a job's lock lasts without renewal: after a crash, its job runs again this much later at most. */
  JOB_LOCK_MS: milliseconds.default(30_000),
  /** The gateways' response-cache namespace (see the gateway): stock changes purge there. */
  CACHE_KEY_PREFIX: z.string().min(1).optional(),
  QUEUE_PREFIX: z
    .string()
    .refine(isHashTaggedPrefix, 'must be a Redis Cluster hash tag such as {shopgraph}')
    .default(DEFAULT_QUEUE_PREFIX),
});

export type WorkersConfig = ReturnType<typeof toWorkersConfig>;

function toWorkersConfig(env: z.output<typeof schema>) {
  const databaseUrls: Record<WorkerSubgraph, string> = {
    products: env.PRODUCTS_DATABASE_URL ?? env.DATABASE_URL,
    orders: env.ORDERS_DATABASE_URL ?? env.DATABASE_URL,
    payments: env.PAYMENTS_DATABASE_URL ?? env.DATABASE_URL,
  };
  return {
    ...toBaseConfig(env),
    redisUrl: env.REDIS_URL,
    admin: toAdminConfig(env),
    databaseUrls,
    dashboardPort: env.DASHBOARD_PORT,
    host: env.HOST,
    paymentProvider: { url: env.PAYMENT_PROVIDER_URL, timeoutMs: env.PAYMENT_PROVIDER_TIMEOUT_MS, apiKey: env.PAYMENT_PROVIDER_KEY },
    reservationTtlMs: env.RESERVATION_TTL_MS,
    settleWindowMs: env.SETTLE_WINDOW_MS,
    queuePrefix: env.QUEUE_PREFIX,
    // The gateway derives its default from the platform DATABASE_URL; so must we, or purges miss.
    cacheKeyPrefix: env.CACHE_KEY_PREFIX ?? defaultCacheKeyPrefix(env.DATABASE_URL),
    concurrency: {
      payments: env.WORKER_CONCURRENCY_PAYMENTS,
      reservations: env.WORKER_CONCURRENCY_RESERVATIONS,
      refunds: env.WORKER_CONCURRENCY_REFUNDS,
      expiries: env.WORKER_CONCURRENCY_EXPIRIES,
    },
    stalledIntervalMs: env.STALLED_INTERVAL_MS,
    jobLockMs: env.JOB_LOCK_MS,
  };
}

/** The Postgres servers the workers reach: the subgraphs' databases, each named once. */
export const databaseUrlsOf = (config: WorkersConfig) => [...new Set(Object.values(config.databaseUrls))];

/** The workers' configuration, from the environment (the only reader of it). */
export function loadConfig(source: Record<string, string | undefined> = process.env): WorkersConfig {
  return toWorkersConfig(parseEnv(schema, source));
}
